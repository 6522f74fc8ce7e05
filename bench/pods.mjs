// npm run bench:pods   (builds first; measures dist/kube-eventline.mjs, the file the image runs)
//
// Memory of the pod watch (podFailures, issue #14): the exporter bundle, with the Deployment's
// NODE_OPTIONS, lists and then watches BENCH_PODS Pods (default 10,000) from a stand-in API
// server on 127.0.0.1 (this process: a real API server with 10,000 Pods needs etcd and minutes to
// fill; what is measured is the exporter's side). Each Pod is about 10 KB of JSON, as a real one
// with managedFields, labels, annotations, env and probes is, so a list page of 500 is ~5 MB and
// takes the streaming path. One Pod in twenty has an OOMKilled container (a line each at the
// list); then the watch sends every Pod once again, those twenty-in-one with their restart count
// bumped (a line each). Peak RSS is the child's VmHWM once every line is out; the baseline is the
// same bundle with podFailures off (Events only, none in the cluster). Median of BENCH_ROUNDS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FAILING_EVERY = 20;
// The exporter Deployment's NODE_OPTIONS (deploy/exporter/deployment.yaml), so RSS is what a Pod sees.
const NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=192'];
const TOKEN = 'bench-token';
const LIST_RV = '5000';

const bundlePath = fileURLToPath(new URL('../dist/kube-eventline.mjs', import.meta.url));

/** A Pod as the API server sends it, about 10 KB: what makes list pages heavy. */
function pod(i, restartCount) {
  const name = `shop-api-7d9c5b${String(i).padStart(6, '0')}-x2x${i % 10}`;
  const failing = i % FAILING_EVERY === 0;
  const env = Array.from({ length: 30 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}-${'v'.repeat(20)}` }));
  const at = '2026-12-03T10:00:00Z';
  return {
    metadata: {
      name,
      generateName: 'shop-api-7d9c5b-',
      namespace: `ns-${i % 50}`,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: at,
      labels: { app: 'shop-api', 'pod-template-hash': '7d9c5b', tier: 'backend', team: 'payments' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': at, 'prometheus.io/scrape': 'true', note: 'n'.repeat(3500) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shop-api-7d9c5b', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: at,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"api"}': { 'f:env': Object.fromEntries(env.map((e) => [`k:{"name":"${e.name}"}`, { '.': {}, 'f:name': {}, 'f:value': {} }])) },
              },
            },
          },
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: at,
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {} } },
        },
      ],
    },
    spec: {
      nodeName: `node-${i % 100}`,
      restartPolicy: 'Always',
      containers: [
        {
          name: 'api',
          image: 'registry.example.com/shop/api:1.4.2',
          env,
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
          readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 5 },
        },
        { name: 'proxy', image: 'registry.example.com/mesh/proxy:1.22.0', args: ['--config', '/etc/proxy/config.yaml'] },
      ],
    },
    status: {
      phase: 'Running',
      startTime: at,
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: at },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
      ],
      containerStatuses: [
        {
          name: 'api',
          image: 'registry.example.com/shop/api:1.4.2',
          imageID: `registry.example.com/shop/api@sha256:${'a'.repeat(64)}`,
          ready: true,
          restartCount: failing ? restartCount : 0,
          state: { running: { startedAt: at } },
          lastState: failing ? { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: at, finishedAt: new Date().toISOString() } } : {},
        },
        {
          name: 'proxy',
          image: 'registry.example.com/mesh/proxy:1.22.0',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: at } },
          lastState: {},
        },
      ],
    },
  };
}

const failingPods = Math.ceil(PODS / FAILING_EVERY);

/** The stand-in API server: Event and Pod lists, and their watches. */
function serve(state) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    const watching = url.searchParams.has('watch');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.pathname === '/api/v1/events') {
      if (!watching) return res.end(JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: LIST_RV }, items: [] }));
      state.eventsWatched = true;
      req.on('close', () => res.end());
      return; // an idle watch until the exporter closes it
    }
    if (url.pathname === '/api/v1/pods') {
      if (!watching) {
        const limit = Number(url.searchParams.get('limit') ?? PODS);
        const from = Number(url.searchParams.get('continue') || 0);
        const to = Math.min(PODS, from + limit);
        state.pages++;
        const items = [];
        for (let i = from; i < to; i++) items.push(pod(i, 2));
        const metadata = { resourceVersion: LIST_RV, ...(to < PODS ? { continue: String(to) } : {}) };
        const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata, items });
        state.largestPage = Math.max(state.largestPage, body.length);
        return res.end(body);
      }
      if (state.podWatchSent) {
        req.on('close', () => res.end());
        return;
      }
      state.podWatchSent = true;
      for (let i = 0; i < PODS; i++) {
        const line = `${JSON.stringify({ type: 'MODIFIED', object: { kind: 'Pod', apiVersion: 'v1', ...pod(i, 3), metadata: { ...pod(i, 3).metadata, resourceVersion: String(100_000 + i) } } })}\n`;
        if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
      }
      req.on('close', () => res.end());
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function vm(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { hwmMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

async function once(podFailures) {
  const state = { pages: 0, largestPage: 0, eventsWatched: false, podWatchSent: false };
  const server = await serve(state);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pods-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const { port } = server.address();
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'bench', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'bench', user: { token: TOKEN } }],
      contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
      'current-context': 'bench',
    }),
  );
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `logLevel: warn\nenrichment: {enabled: false}\nmetrics: {address: 127.0.0.1, port: 0}\nmaxEventAgeSeconds: 3600\n${podFailures ? 'podFailures: {enabled: true}\n' : ''}`,
  );
  const started = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, bundlePath, '--config', config, '--kubeconfig', kubeconfig], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lines = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop();
    lines += parts.length;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const expected = podFailures ? 2 * failingPods : 0;
  // Done: every line out (the watch's last ones come after every Pod was sent), or for the baseline the Events watch open.
  const done = () => (podFailures ? lines >= expected && state.podWatchSent : state.eventsWatched);
  let failed;
  exited.then((code) => (failed = `the exporter exited (${code}) before it was done`));
  const deadline = Date.now() + 600_000;
  while (!done()) {
    if (failed) throw new Error(failed);
    if (Date.now() > deadline) throw new Error(`timed out: ${lines} of ${expected} lines`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const wallS = (performance.now() - started) / 1000;
  // A moment for anything still in flight (the last watch chunks) to be read and dropped.
  await new Promise((r) => setTimeout(r, podFailures ? 1000 : 500));
  const memory = vm(child.pid);
  child.kill('SIGTERM');
  await exited;
  server.close();
  server.closeAllConnections();
  if (podFailures && lines !== expected) throw new Error(`expected ${expected} lines, got ${lines}`);
  return { ...memory, wallS, lines, pages: state.pages, largestPage: state.largestPage };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const podBytes = JSON.stringify(pod(0, 2)).length;
console.log(
  `kube-eventline pod watch memory: ${PODS.toLocaleString('en')} Pods of ${(podBytes / 1024).toFixed(1)} KB JSON each listed then watched (each once more, ${failingPods.toLocaleString('en')} of them with a new OOMKilled restart), ${ROUNDS} rounds, bundle dist/kube-eventline.mjs with ${NODE_FLAGS.join(' ')}`,
);
const results = { off: [], on: [] };
for (let round = 0; round < ROUNDS; round++) {
  results.off.push(await once(false));
  results.on.push(await once(true));
}
const fmt = (n, digits = 0) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
console.log('');
console.log('| run | Pods | list pages (largest) | lines | wall s | peak RSS (VmHWM) MiB | RSS at the end MiB |');
console.log('|---|---|---|---|---|---|---|');
for (const [key, label] of [
  ['off', 'podFailures off (baseline)'],
  ['on', 'podFailures on'],
]) {
  const rs = results[key];
  const last = rs[rs.length - 1];
  console.log(
    `| ${label} | ${key === 'on' ? fmt(PODS) : '0 (not watched)'} | ${key === 'on' ? `${last.pages} (${fmt(last.largestPage / 1e6, 1)} MB)` : '–'} | ${fmt(last.lines)} | ${fmt(median(rs.map((r) => r.wallS)), 1)} | ${fmt(median(rs.map((r) => r.hwmMiB)), 1)} | ${fmt(median(rs.map((r) => r.rssMiB)), 1)} |`,
  );
}
console.log(`\npeak RSS per round, on: ${results.on.map((r) => fmt(r.hwmMiB, 1)).join(', ')}; off: ${results.off.map((r) => fmt(r.hwmMiB, 1)).join(', ')}`);
