import {
  addDeployment,
  addNamespace,
  addNode,
  addPod,
  addReplicaSet,
  bindPod,
  changeDeploymentImage,
  deleteObject,
  nodeOfPod,
  type ObjectRef,
  podsOnNode,
  readObject,
  recordContainerRestart,
  scaleReplicaSet,
  setContainerWaiting,
  setNodeReady,
} from './cluster-objects.js';
import type { EventRecorder, RecordedEvent, Reporter } from './event-recorder.js';
import type { ObjectStore } from './object-store.js';
import type { TimelineStep } from './timeline.js';

const REGISTRY = 'registry.example.com';
const NODES = ['sim-worker-1', 'sim-worker-2', 'sim-worker-3'] as const;

const kubelet = (host: string): Reporter => ({ component: 'kubelet', host, style: 'core' });
const kernelMonitor = (host: string): Reporter => ({ component: 'kernel-monitor', host, style: 'core' });
const networkProblemMonitor = (host: string): Reporter => ({ component: 'network-problem-monitor', host, style: 'core' });
const deploymentController: Reporter = { component: 'deployment-controller', style: 'core' };
const replicaSetController: Reporter = { component: 'replicaset-controller', style: 'core' };
const nodeController: Reporter = { component: 'node-controller', style: 'core' };
const scheduler: Reporter = { component: 'default-scheduler', style: 'events-api', instance: 'default-scheduler-sim-control-plane' };

/**
 * The demo's story, about 19 s at speed 1: a rollout, a crash loop, two OOM kills, an image
 * that does not pull, an unschedulable pod, a node going NotReady and back, a full conntrack table and an expired
 * Event. Seeds the cluster's objects now (so enrichment resolves Pod → ReplicaSet → Deployment)
 * and returns the steps that play the rest.
 */
export function buildDemoScenario(store: ObjectStore, recorder: EventRecorder): TimelineStep[] {
  for (const namespace of ['default', 'kube-system', 'shop', 'search', 'ml']) addNamespace(store, namespace);
  const nodes = NODES.map((name, i) => addNode(store, name, `sim-zone-${'abc'[i]}`));
  const [worker1, worker2, worker3] = NODES;

  const checkout = addDeployment(store, 'shop', 'checkout', 2, {
    name: 'checkout',
    image: `${REGISTRY}/shop/checkout:2.4.0`,
    cpuRequest: '250m',
    memoryLimit: '256Mi',
  });
  const checkoutOldRs = addReplicaSet(store, checkout, 2);
  const checkoutOldPods = [addPod(store, checkoutOldRs, worker1), addPod(store, checkoutOldRs, worker2)];

  const payments = addDeployment(store, 'shop', 'payments', 1, {
    name: 'payments',
    image: `${REGISTRY}/shop/payments:1.9.3`,
    cpuRequest: '200m',
    memoryLimit: '512Mi',
  });
  const paymentsPod = addPod(store, addReplicaSet(store, payments, 1), worker2);

  const indexerImage = `${REGISTRY}/search/indexer:5.2.0`;
  const indexer = addDeployment(store, 'search', 'indexer', 1, { name: 'indexer', image: indexerImage, cpuRequest: '500m', memoryLimit: '1Gi' });
  const indexerPod = addPod(store, addReplicaSet(store, indexer, 1), worker3);

  const steps: TimelineStep[] = [];
  const at = (atMs: number, run: () => void, narration?: string): void => {
    steps.push({ atMs, run, ...(narration ? { narration } : {}) });
  };
  const container = (name: string) => `spec.containers{${name}}`;

  // --- Rollout: checkout 2.4.0 → 2.4.1, surge one pod at a time. -----------------------------
  const newImage = `${REGISTRY}/shop/checkout:2.4.1`;
  let checkoutNewRs: ObjectRef | undefined;
  let firstPulling: RecordedEvent | undefined;
  const scaleNew = (from: number, to: number): void => {
    scaleReplicaSet(store, checkoutNewRs!, to);
    recorder.record({
      regarding: checkout,
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled up replica set ${checkoutNewRs!.name} from ${from} to ${to}`,
      reporter: deploymentController,
    });
  };
  const scaleOldDown = (from: number, to: number, pod: ObjectRef, startMs: number): void => {
    at(startMs, () => {
      scaleReplicaSet(store, checkoutOldRs, to);
      recorder.record({
        regarding: checkout,
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled down replica set ${checkoutOldRs.name} from ${from} to ${to}`,
        reporter: deploymentController,
      });
      recorder.record({
        regarding: checkoutOldRs,
        type: 'Normal',
        reason: 'SuccessfulDelete',
        message: `Deleted pod: ${pod.name}`,
        reporter: replicaSetController,
      });
    });
    at(startMs + 150, () => {
      const host = nodeOfPod(store, pod);
      recorder.record({
        regarding: pod,
        fieldPath: container('checkout'),
        type: 'Normal',
        reason: 'Killing',
        message: 'Stopping container checkout',
        reporter: kubelet(host),
      });
    });
    at(startMs + 300, () => deleteObject(store, pod));
  };
  /** A new checkout pod from creation to Started; `pull` when the node has not got the image yet. */
  const startNewPod = (startMs: number, node: string, pull: boolean): void => {
    let pod: ObjectRef | undefined;
    at(startMs, () => {
      pod = addPod(store, checkoutNewRs!);
      recorder.record({
        regarding: checkoutNewRs!,
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `Created pod: ${pod.name}`,
        reporter: replicaSetController,
      });
    });
    at(startMs + 300, () => {
      bindPod(store, pod!, node);
      recorder.record({
        regarding: pod!,
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned shop/${pod!.name} to ${node}`,
        reporter: scheduler,
        action: 'Binding',
      });
    });
    const kubeletEvent = (reason: string, message: string) => () => {
      recorder.record({ regarding: pod!, fieldPath: container('checkout'), type: 'Normal', reason, message, reporter: kubelet(node) });
    };
    if (pull) {
      at(startMs + 600, () => {
        firstPulling ??= recorder.record({
          regarding: pod!,
          fieldPath: container('checkout'),
          type: 'Normal',
          reason: 'Pulling',
          message: `Pulling image "${newImage}"`,
          reporter: kubelet(node),
        });
      });
      at(startMs + 2000, kubeletEvent('Pulled', `Successfully pulled image "${newImage}" in 1.372s (1.372s including waiting). Image size: 48213554 bytes.`));
    } else {
      at(startMs + 600, kubeletEvent('Pulled', `Container image "${newImage}" already present on machine`));
    }
    at(startMs + (pull ? 2200 : 800), kubeletEvent('Created', 'Created container checkout'));
    at(startMs + (pull ? 2400 : 1000), kubeletEvent('Started', 'Started container checkout'));
  };

  at(
    0,
    () => {
      changeDeploymentImage(store, checkout, newImage);
      checkoutNewRs = addReplicaSet(store, checkout, 0);
      scaleNew(0, 1);
    },
    'rollout: Deployment shop/checkout moves to checkout:2.4.1 (ScalingReplicaSet, SuccessfulCreate, Scheduled, Pulling, Pulled, Created, Started)',
  );
  startNewPod(200, worker1, true);
  scaleOldDown(2, 1, checkoutOldPods[0]!, 3000);
  at(3600, () => scaleNew(1, 2));
  startNewPod(3800, worker2, false);
  scaleOldDown(1, 0, checkoutOldPods[1]!, 5200);
  at(5600, () => {}, 'rollout: shop/checkout is complete; the old ReplicaSet is scaled to 0 and its pods are gone');

  // --- Crash loop: payments fails its liveness probe, then backs off. -------------------------
  let unhealthy: RecordedEvent | undefined;
  let backOff: RecordedEvent | undefined;
  const paymentsReporter = kubelet(worker2);
  at(
    1500,
    () => {
      unhealthy = recorder.record({
        regarding: paymentsPod,
        fieldPath: container('payments'),
        type: 'Warning',
        reason: 'Unhealthy',
        message: 'Liveness probe failed: HTTP probe failed with statuscode: 500',
        reporter: paymentsReporter,
      });
    },
    'crash loop: shop/payments starts failing its liveness probe (Unhealthy)',
  );
  at(2500, () => recorder.repeat(unhealthy!));
  at(3500, () => {
    recorder.repeat(unhealthy!);
    recorder.record({
      regarding: paymentsPod,
      fieldPath: container('payments'),
      type: 'Normal',
      reason: 'Killing',
      message: 'Container payments failed liveness probe, will be restarted',
      reporter: paymentsReporter,
    });
    recordContainerRestart(store, paymentsPod, 'Error', 137);
    recorder.containerFailed();
  });
  at(
    4500,
    () => {
      const uid = readObject(store, paymentsPod)?.metadata.uid ?? '';
      backOff = recorder.record({
        regarding: paymentsPod,
        fieldPath: container('payments'),
        type: 'Warning',
        reason: 'BackOff',
        message: `Back-off restarting failed container payments in pod ${paymentsPod.name}_shop(${uid})`,
        reporter: paymentsReporter,
      });
    },
    'crash loop: the kubelet backs off restarting shop/payments (BackOff, count 1)',
  );
  at(7000, () => recorder.repeat(backOff!, 1), 'crash loop: BackOff count 2 (a MODIFIED Event: one new occurrence)');
  at(10500, () => recorder.repeat(backOff!, 3), 'crash loop: BackOff count 5 (three occurrences in one update)');
  at(15000, () => recorder.repeat(backOff!, 4), 'crash loop: BackOff count 9');

  // --- OOM kills: the kernel kills the indexer twice; the kubelet restarts it. ----------------
  const restartEvents: RecordedEvent[] = [];
  const oomKill = (startMs: number, pid: number, narration: string): void => {
    at(
      startMs,
      () => {
        recorder.record({
          regarding: nodes[2]!,
          nodeReferenceByName: true,
          type: 'Warning',
          reason: 'OOMKilling',
          message: `Memory cgroup out of memory: Killed process ${pid} (indexer) total-vm:2612344kB, anon-rss:1046032kB, file-rss:13388kB, shmem-rss:0kB, UID:1000 pgtables:2412kB oom_score_adj:984`,
          reporter: kernelMonitor(worker3),
        });
        recordContainerRestart(store, indexerPod, 'OOMKilled', 137);
        recorder.containerFailed();
      },
      narration,
    );
    const restart: Array<[string, string]> = [
      ['Pulled', `Container image "${indexerImage}" already present on machine`],
      ['Created', 'Created container indexer'],
      ['Started', 'Started container indexer'],
    ];
    restart.forEach(([reason, message], i) => {
      at(startMs + 600 + i * 200, () => {
        const earlier = restartEvents[i];
        // The kubelet's second identical Event is an update of the first (count 2), not a new one.
        if (earlier) recorder.repeat(earlier);
        else
          restartEvents.push(
            recorder.record({ regarding: indexerPod, fieldPath: container('indexer'), type: 'Normal', reason, message, reporter: kubelet(worker3) }),
          );
      });
    });
  };
  oomKill(6000, 48213, 'OOM kill: the kernel on sim-worker-3 kills search/indexer (OOMKilling from kernel-monitor); the kubelet restarts the container');
  oomKill(12000, 51877, 'OOM kill again: a second OOMKilling; the restart Events now count 2');

  // --- Unschedulable: trainer asks for more CPU than any node has. ---------------------------
  let trainerRs: ObjectRef | undefined;
  let trainerPod: ObjectRef | undefined;
  let failedScheduling: RecordedEvent | undefined;
  const trainer: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ml', name: 'trainer' };
  at(
    7500,
    () => {
      addDeployment(store, 'ml', 'trainer', 1, { name: 'trainer', image: `${REGISTRY}/ml/trainer:0.7.1`, cpuRequest: '6', memoryLimit: '8Gi' });
      trainerRs = addReplicaSet(store, trainer, 1);
      recorder.record({
        regarding: trainer,
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set ${trainerRs.name} from 0 to 1`,
        reporter: deploymentController,
      });
    },
    'unschedulable: Deployment ml/trainer wants 6 CPUs per pod; no node has them',
  );
  at(7700, () => {
    trainerPod = addPod(store, trainerRs!);
    recorder.record({
      regarding: trainerRs!,
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: `Created pod: ${trainerPod.name}`,
      reporter: replicaSetController,
    });
  });
  at(
    8000,
    () => {
      failedScheduling = recorder.record({
        regarding: trainerPod!,
        type: 'Warning',
        reason: 'FailedScheduling',
        message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
        reporter: scheduler,
        action: 'Scheduling',
      });
    },
    'unschedulable: FailedScheduling (an events.k8s.io Event: eventTime set, no timestamps)',
  );
  at(11000, () => recorder.repeat(failedScheduling!), 'unschedulable: FailedScheduling again (series.count 2)');
  at(14000, () => recorder.repeat(failedScheduling!));
  at(17500, () => recorder.repeat(failedScheduling!, 2), 'unschedulable: FailedScheduling series.count is now 5');

  // --- Image pull failure: crawler's new tag was never pushed. ----------------------------------
  const crawlerImage = `${REGISTRY}/search/crawler:3.0.0-rc1`;
  let crawlerPod: ObjectRef | undefined;
  at(
    8500,
    () => {
      const crawler = addDeployment(store, 'search', 'crawler', 1, { name: 'crawler', image: crawlerImage, cpuRequest: '100m', memoryLimit: '128Mi' });
      crawlerPod = addPod(store, addReplicaSet(store, crawler, 1), worker2);
      setContainerWaiting(store, crawlerPod, 'ContainerCreating', '');
    },
    'image pull: Deployment search/crawler rolls out a tag that was never pushed',
  );
  at(
    9200,
    () => {
      const message = `Failed to pull image "${crawlerImage}": rpc error: code = NotFound desc = failed to pull and unpack image "${crawlerImage}": not found`;
      setContainerWaiting(store, crawlerPod!, 'ErrImagePull', message);
      recorder.containerFailed();
      recorder.record({ regarding: crawlerPod!, fieldPath: container('crawler'), type: 'Warning', reason: 'Failed', message, reporter: kubelet(worker2) });
    },
    'image pull: ErrImagePull in the Pod status (a pod failure line, reason ErrImagePull) and a Failed Event',
  );
  at(
    9800,
    () => {
      setContainerWaiting(store, crawlerPod!, 'ImagePullBackOff', `Back-off pulling image "${crawlerImage}"`);
    },
    'image pull: ImagePullBackOff, the same failure (no second pod failure line)',
  );

  // --- Conntrack: node-problem-detector's custom plugin finds the table nearly full. ----------
  let conntrack: RecordedEvent | undefined;
  at(
    9000,
    () => {
      conntrack = recorder.record({
        regarding: nodes[1]!,
        nodeReferenceByName: true,
        type: 'Warning',
        reason: 'ConntrackFull',
        message: 'Conntrack table usage over 90 percent: 117964 out of 131072',
        reporter: networkProblemMonitor(worker2),
      });
    },
    'conntrack: node-problem-detector on sim-worker-2 reports the conntrack table over 90% (ConntrackFull)',
  );
  at(13000, () => recorder.repeat(conntrack!));

  // --- Node NotReady and back. ------------------------------------------------------------
  at(
    11500,
    () => {
      setNodeReady(store, nodes[0]!, false);
      recorder.record({
        regarding: nodes[0]!,
        type: 'Normal',
        reason: 'NodeNotReady',
        message: `Node ${worker1} status is now: NodeNotReady`,
        reporter: nodeController,
      });
      for (const pod of podsOnNode(store, worker1)) {
        recorder.record({ regarding: pod, type: 'Warning', reason: 'NodeNotReady', message: 'Node is not ready', reporter: nodeController });
      }
    },
    'node: sim-worker-1 stops posting its status; the node controller marks it NotReady (and its pods)',
  );
  at(
    16000,
    () => {
      setNodeReady(store, nodes[0]!, true);
      recorder.record({
        regarding: nodes[0]!,
        nodeReferenceByName: true,
        type: 'Normal',
        reason: 'NodeReady',
        message: `Node ${worker1} status is now: NodeReady`,
        reporter: kubelet(worker1),
      });
    },
    'node: sim-worker-1 is back (NodeReady)',
  );

  // --- Event TTL: the API server deletes an expired Event. --------------------------------------
  at(
    18500,
    () => {
      if (firstPulling) recorder.expire(firstPulling);
    },
    'event-ttl: the API server deletes an expired Event (a DELETED notification: nothing new to write)',
  );
  at(19000, () => {}, 'scenario complete');

  return steps;
}
