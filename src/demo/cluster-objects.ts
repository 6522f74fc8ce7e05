import { randomInt } from 'node:crypto';
import { resourceForKind } from './api-resources.js';
import type { ApiObject, ObjectStore } from './object-store.js';
import { secondsTimestamp } from './object-store.js';

/** Points at an object in the store; events and the scenario read its current state through it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The alphabet Kubernetes uses for generated name suffixes and pod-template-hash (no vowels, no look-alikes). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(length: number): string {
  return Array.from({ length }, () => NAME_ALPHABET[randomInt(NAME_ALPHABET.length)]).join('');
}

export function readObject(store: ObjectStore, ref: ObjectRef): ApiObject | undefined {
  return store.get(resourceForKind(ref.apiVersion, ref.kind), ref.namespace, ref.name);
}

/** Applies `change` to the current object and stores it: a controller or kubelet status update. */
export function updateObject(store: ObjectStore, ref: ObjectRef, change: (object: ApiObject) => void): ApiObject {
  const current = readObject(store, ref);
  if (!current) throw new Error(`${ref.kind} ${ref.namespace ?? ''}/${ref.name} is not in the simulated cluster`);
  change(current);
  return store.update(resourceForKind(ref.apiVersion, ref.kind), current);
}

export function deleteObject(store: ObjectStore, ref: ObjectRef): void {
  store.delete(resourceForKind(ref.apiVersion, ref.kind), ref.namespace, ref.name);
}

export function addNamespace(store: ObjectStore, name: string): ObjectRef {
  store.create(resourceForKind('v1', 'Namespace'), {
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  return { apiVersion: 'v1', kind: 'Namespace', name };
}

export function addNode(store: ObjectStore, name: string, zone: string): ObjectRef {
  const now = secondsTimestamp(new Date());
  store.create(resourceForKind('v1', 'Node'), {
    metadata: {
      name,
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'sim.xlarge',
        'topology.kubernetes.io/zone': zone,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '16393520Ki', pods: '110' },
      allocatable: { cpu: '3920m', memory: '15242544Ki', pods: '110' },
      conditions: [readyCondition(true, now)],
      nodeInfo: {
        kubeletVersion: 'v1.33.1',
        containerRuntimeVersion: 'containerd://2.0.5',
        osImage: 'Simulated Linux',
        architecture: 'amd64',
        operatingSystem: 'linux',
      },
    },
  });
  return { apiVersion: 'v1', kind: 'Node', name };
}

function readyCondition(ready: boolean, at: string): { type: string; [field: string]: string } {
  return ready
    ? { type: 'Ready', status: 'True', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletReady', message: 'kubelet is posting ready status' }
    : {
        type: 'Ready',
        status: 'Unknown',
        lastHeartbeatTime: at,
        lastTransitionTime: at,
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
      };
}

export function setNodeReady(store: ObjectStore, node: ObjectRef, ready: boolean): void {
  updateObject(store, node, (object) => {
    const status = object.status as { conditions: Array<{ type: string }> };
    status.conditions = [...status.conditions.filter((c) => c.type !== 'Ready'), readyCondition(ready, secondsTimestamp(new Date()))];
  });
}

export interface ContainerSpec {
  name: string;
  image: string;
  cpuRequest: string;
  memoryLimit: string;
}

export function addDeployment(store: ObjectStore, namespace: string, name: string, replicas: number, container: ContainerSpec): ObjectRef {
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': namespace };
  store.create(resourceForKind('apps/v1', 'Deployment'), {
    metadata: { name, namespace, labels, annotations: { 'deployment.kubernetes.io/revision': '1' }, generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels }, spec: { containers: [containerManifest(container)] } },
    },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  });
  return { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
}

/** A new image on the Deployment: the next revision, whose ReplicaSet the scenario then scales up. */
export function changeDeploymentImage(store: ObjectStore, deployment: ObjectRef, image: string): void {
  updateObject(store, deployment, (object) => {
    const revision = Number(object.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '1') + 1;
    object.metadata.annotations = { ...object.metadata.annotations, 'deployment.kubernetes.io/revision': String(revision) };
    object.metadata.generation = Number(object.metadata.generation ?? 1) + 1;
    const spec = object.spec as { template: { spec: { containers: Array<{ image: string }> } } };
    for (const container of spec.template.spec.containers) container.image = image;
  });
}

/** The Deployment's ReplicaSet for its current template, named `<deployment>-<pod-template-hash>` and owned by it. */
export function addReplicaSet(store: ObjectStore, deployment: ObjectRef, replicas: number): ObjectRef {
  const owner = readObject(store, deployment)!;
  const spec = owner.spec as { selector: object; template: { metadata: { labels: Record<string, string> }; spec: object } };
  const hash = randomSuffix(10);
  const labels = { ...spec.template.metadata.labels, 'pod-template-hash': hash };
  const name = `${deployment.name}-${hash}`;
  store.create(resourceForKind('apps/v1', 'ReplicaSet'), {
    metadata: {
      name,
      namespace: deployment.namespace,
      labels,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String((owner.spec as { replicas: number }).replicas),
        'deployment.kubernetes.io/revision': owner.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '1',
      },
      ownerReferences: [controllerReference(owner)],
    },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: structuredClone(spec.template.spec) } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  });
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: deployment.namespace!, name };
}

export function scaleReplicaSet(store: ObjectStore, replicaSet: ObjectRef, replicas: number): void {
  updateObject(store, replicaSet, (object) => {
    (object.spec as { replicas: number }).replicas = replicas;
    object.status = { replicas, readyReplicas: replicas, availableReplicas: replicas };
  });
}

/** A Pod of the ReplicaSet; without a node it is Pending, as before the scheduler binds it. */
export function addPod(store: ObjectStore, replicaSet: ObjectRef, nodeName?: string): ObjectRef {
  const owner = readObject(store, replicaSet)!;
  const template = (owner.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: object[] } } }).template;
  const name = `${replicaSet.name}-${randomSuffix(5)}`;
  store.create(resourceForKind('v1', 'Pod'), {
    metadata: {
      name,
      generateName: `${replicaSet.name}-`,
      namespace: replicaSet.namespace,
      labels: { ...template.metadata.labels },
      ownerReferences: [controllerReference(owner)],
    },
    spec: {
      ...structuredClone(template.spec),
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      ...(nodeName ? { nodeName } : {}),
    },
    status: nodeName
      ? runningStatus(template.spec.containers)
      : { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
  });
  return { apiVersion: 'v1', kind: 'Pod', namespace: replicaSet.namespace!, name };
}

export function bindPod(store: ObjectStore, pod: ObjectRef, nodeName: string): void {
  updateObject(store, pod, (object) => {
    (object.spec as { nodeName?: string }).nodeName = nodeName;
    object.status = runningStatus((object.spec as { containers: object[] }).containers);
  });
}

/** The kubelet restarted the pod's first container after it ended with `reason` (OOMKilled, Error). */
export function recordContainerRestart(store: ObjectStore, pod: ObjectRef, reason: 'OOMKilled' | 'Error', exitCode: number): void {
  updateObject(store, pod, (object) => {
    const status = object.status as { containerStatuses?: Array<{ restartCount: number; lastState?: object }> };
    const container = status.containerStatuses?.[0];
    if (!container) return;
    const at = secondsTimestamp(new Date());
    container.restartCount += 1;
    container.lastState = { terminated: { exitCode, reason, finishedAt: at } };
  });
}

/** The kubelet cannot start the pod's first container: it waits for `reason` (ErrImagePull, ImagePullBackOff). */
export function setContainerWaiting(store: ObjectStore, pod: ObjectRef, reason: string, message: string): void {
  updateObject(store, pod, (object) => {
    const status = object.status as { phase?: string; containerStatuses?: Array<{ ready?: boolean; started?: boolean; state?: object }> };
    const container = status.containerStatuses?.[0];
    if (!container) return;
    status.phase = 'Pending';
    container.ready = false;
    container.started = false;
    container.state = { waiting: { reason, message } };
  });
}

export function nodeOfPod(store: ObjectStore, pod: ObjectRef): string {
  return (readObject(store, pod)?.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
}

export function podsOnNode(store: ObjectStore, nodeName: string): ObjectRef[] {
  return store
    .list(resourceForKind('v1', 'Pod'))
    .filter((pod) => (pod.spec as { nodeName?: string }).nodeName === nodeName)
    .map((pod) => ({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name }));
}

function runningStatus(containers: object[]): object {
  return {
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    containerStatuses: (containers as Array<{ name: string; image: string }>).map((c) => ({
      name: c.name,
      image: c.image,
      ready: true,
      restartCount: 0,
      started: true,
    })),
  };
}

function containerManifest(container: ContainerSpec): object {
  return {
    name: container.name,
    image: container.image,
    resources: { requests: { cpu: container.cpuRequest, memory: container.memoryLimit }, limits: { memory: container.memoryLimit } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 },
  };
}

function controllerReference(owner: ApiObject): {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
} {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}
