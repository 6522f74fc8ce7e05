/**
 * THE ONE FAKE of the pods/log tests: the kubelet. No kubelet can run here (no container runtime),
 * so a test registers a Node whose kubelet endpoint (status.addresses InternalIP/Hostname
 * 127.0.0.1 and status.daemonEndpoints.kubeletEndpoint.Port) is this small HTTPS server, and the
 * real API server proxies pods/log to it. It answers GET /containerLogs/{namespace}/{pod}/{container}
 * the way the kubelet does (tailLines, then limitBytes from the start of those lines), or injects a
 * fault chosen by the container's name: `broken` 500, `hung` no answer, `gone` 400 (the previous
 * instance was already removed).
 *
 * What the API server needs for that, from k8s.io/kubernetes v1.36.3 (the harness's version), so
 * the harness's flags stay as they are:
 * - pkg/registry/core/pod/strategy.go LogLocation: https://{address}:{port}/containerLogs/...
 *   with previous, tailLines and limitBytes passed on; no check against loopback addresses
 *   (unlike pods/proxy and services/proxy).
 * - pkg/kubelet/client/kubelet_client.go: the address is the first of
 *   --kubelet-preferred-address-types (default Hostname, InternalDNS, InternalIP, ExternalDNS,
 *   ExternalIP) the Node reports; without --kubelet-certificate-authority the kubelet's serving
 *   certificate is not verified, and without --kubelet-client-certificate none is presented. So
 *   this fake kubelet can serve any certificate: it uses the harness API server's (issued for
 *   127.0.0.1), and cannot check who calls it.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KubeHttp } from '../../src/watch/kube-http.js';

/** What the fake kubelet saw: method, path and query of every request. */
export interface KubeletRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FakeKubelet {
  port: number;
  requests: KubeletRequest[];
  close(): Promise<void>;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/**
 * The 40 lines every container of the fake kubelet printed before it crashed, with everything that
 * could break a JSON line or a reader: `raw` as the runtime stored it, `text` as it must read back
 * (invalid UTF-8 as U+FFFD, everything else as printed).
 */
export const HOSTILE_LOG: ReadonlyArray<{ raw: Buffer; text: string }> = Array.from({ length: 40 }, (_, i) => {
  const n = String(i).padStart(2, '0');
  switch (i % 5) {
    case 0:
      return {
        raw: utf8(`${n} {"level":"error","msg":"say \\"hi\\""} {{ .Values.password }}`),
        text: `${n} {"level":"error","msg":"say \\"hi\\""} {{ .Values.password }}`,
      };
    case 1:
      return { raw: utf8(`${n} <script>alert('x')</script> & </pre>`), text: `${n} <script>alert('x')</script> & </pre>` };
    case 2:
      return { raw: utf8(`${n} \u001b[31mERROR\u001b[0m\tpanic: \u0000nul\r`), text: `${n} \u001b[31mERROR\u001b[0m\tpanic: \u0000nul\r` };
    case 3:
      // Invalid UTF-8: a lone 0xff, an overlong encoding, a truncated 3-byte sequence.
      return {
        raw: Buffer.concat([utf8(`${n} bytes `), Buffer.from([0xff, 0xc0, 0xaf, 0xe2, 0x82]), utf8(' end')]),
        text: `${n} bytes \uFFFD\uFFFD\uFFFD\uFFFD end`,
      };
    default:
      return { raw: utf8(`${n} ünïcödé €😀 \u2028 line\\separator`), text: `${n} ünïcödé €😀 \u2028 line\\separator` };
  }
});

/** The last `n` lines of HOSTILE_LOG as the exporter must hand them on (joined by \n, no final newline). */
export const hostileTail = (n: number): string =>
  HOSTILE_LOG.slice(-n)
    .map((l) => l.text)
    .join('\n');

/** Starts the fake kubelet on 127.0.0.1 with the harness API server's certificate (from `pkiDir`). */
export async function startFakeKubelet(pkiDir: string): Promise<FakeKubelet> {
  const requests: KubeletRequest[] = [];
  const held = new Set<ServerResponse>();
  const server = https.createServer({ cert: readFileSync(join(pkiDir, 'apiserver.crt')), key: readFileSync(join(pkiDir, 'apiserver.key')) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const [, , , pod, container] = url.pathname.split('/');
    if (container === 'broken') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('failed to read the container log: the runtime is down');
      return;
    }
    if (container === 'hung') {
      // Accepts and never answers: the exporter's timeout has to end it.
      held.add(res);
      return;
    }
    if (container === 'gone') {
      // What the kubelet says when the previous instance was already removed.
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`previous terminated container "gone" in pod "${pod}" not found`);
      return;
    }
    // The kubelet: the last tailLines lines, then at most limitBytes of them from their start.
    const tail = Number(url.searchParams.get('tailLines') ?? HOSTILE_LOG.length);
    let body = Buffer.concat(HOSTILE_LOG.slice(-tail).flatMap(({ raw }) => [raw, utf8('\n')]));
    const limit = url.searchParams.get('limitBytes');
    if (limit) body = body.subarray(0, Number(limit));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Registers a Node as its kubelet would: its address (127.0.0.1) and the port the fake kubelet listens on. */
export async function registerKubeletNode(admin: KubeHttp, name: string, kubelet: FakeKubelet): Promise<void> {
  await admin.sendJson('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  const node = await admin.getJson<Record<string, unknown>>(`/api/v1/nodes/${name}`);
  node.status = {
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: '127.0.0.1' },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
  };
  await admin.sendJson('PUT', `/api/v1/nodes/${name}/status`, node);
}
