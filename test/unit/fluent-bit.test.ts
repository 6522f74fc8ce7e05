/**
 * fluent-bit/fluent-bit.yaml: every part of the pipeline, its agreement with
 * jsonnet/loki-streams.json (the one definition of Loki labels / structured metadata / timestamp),
 * and a model of what the pipeline does to real exporter lines.
 *
 * The model follows Fluent Bit 4.x semantics as read in its source: the `cri` multiline parser,
 * grep, the parser filter (preserve_key / reserve_data, time_key + strptime with %L), record_modifier
 * allowlist_key, and the loki output, which removes from the line every record key it reads for a
 * label or structured metadata value, plus remove_keys, and with drop_single_key=raw sends a lone
 * string value unquoted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LEVELS } from '../../src/grade/levels.js';
import { buildLine } from '../../src/line/build-line.js';
import type { RawEvent } from '../../src/line/event-line.js';
import { find, globToRegExp, type K8sObject, readYaml, renderKustomization, repoPath } from './deploy-checks.js';

interface LokiStreams {
  job: string;
  labels: Record<string, string>;
  structuredMetadata: Record<string, string>;
  clusterScopedNamespace: string;
  timestampField: string;
}

const CONFIG_PATH = repoPath('fluent-bit', 'fluent-bit.yaml');
const loadConfig = (): K8sObject => readYaml(CONFIG_PATH);
const streams: LokiStreams = JSON.parse(readFileSync(repoPath('jsonnet', 'loki-streams.json'), 'utf8'));
const clone = <T>(v: T): T => structuredClone(v);

// ---------------------------------------------------------------------------------------------
// Reading the config

/** `$a['b']['c']` -> ['a','b','c']; `$a` -> ['a']; anything else undefined. */
function accessorPath(accessor: string): string[] | undefined {
  const m = /^\$([A-Za-z_][\w.-]*)((?:\['[^']+'\])*)$/.exec(accessor.trim());
  if (!m) return undefined;
  const subkeys = [...(m[2] ?? '').matchAll(/\['([^']+)'\]/g)].map((s) => s[1]!);
  return [m[1]!, ...subkeys];
}

/** The loki output's `k=v, k2=$x['y']` lists. */
function kvList(value: unknown): Array<{ key: string; value: string }> {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const eq = item.indexOf('=');
      return eq < 0 ? { key: item, value: '' } : { key: item.slice(0, eq).trim(), value: item.slice(eq + 1).trim() };
    });
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value.map(String) : String(value).split(',')).map((s) => s.trim()).filter(Boolean);
}

const on = (value: unknown) => value === true || ['on', 'true', 'yes', '1'].includes(String(value).toLowerCase());

function lokiOutputs(config: K8sObject): K8sObject[] {
  return ((config.pipeline?.outputs ?? []) as K8sObject[]).filter((o) => o.name === 'loki');
}

/**
 * Everything that must hold for the config to implement loki-streams.json; [] when it does.
 * The dashboards and rules are written against the same JSON, so a disagreement here is a
 * disagreement with them.
 */
function streamsAgreementProblems(config: K8sObject, def: LokiStreams): string[] {
  const problems: string[] = [];
  const outputs = lokiOutputs(config);
  if (outputs.length !== 1) return [`expected exactly one loki output, found ${outputs.length}`];
  const out = outputs[0]!;
  const dotted = (path: string[] | undefined) => path?.join('.');

  // Labels: job is the one static label; the others come from the line's fields.
  const labels = kvList(out.labels);
  const staticLabels = Object.fromEntries(labels.filter((l) => !l.value.startsWith('$')).map((l) => [l.key, l.value]));
  if (JSON.stringify(staticLabels) !== JSON.stringify({ job: def.job })) {
    problems.push(`static labels ${JSON.stringify(staticLabels)} != {"job":"${def.job}"}`);
  }
  const dynamicLabels = labels.filter((l) => l.value.startsWith('$'));
  const labelMap = Object.fromEntries(dynamicLabels.map((l) => [l.key, dotted(accessorPath(l.value))]));
  for (const [name, source] of Object.entries(def.labels)) {
    if (labelMap[name] !== source) problems.push(`label ${name}: config reads ${labelMap[name] ?? 'nothing'}, loki-streams.json says ${source}`);
  }
  for (const name of Object.keys(labelMap)) {
    if (!(name in def.labels)) problems.push(`label ${name} is not in loki-streams.json`);
  }
  if (out.label_keys !== undefined || out.label_map_path !== undefined || on(out.auto_kubernetes_labels)) {
    problems.push('labels must come from `labels` only (label_keys / label_map_path / auto_kubernetes_labels add others)');
  }

  // Structured metadata: exactly the JSON's keys, each from its field.
  const sm = kvList(out.structured_metadata);
  const smMap = Object.fromEntries(sm.map((s) => [s.key, s.value.startsWith('$') ? dotted(accessorPath(s.value)) : `static:${s.value}`]));
  for (const [name, source] of Object.entries(def.structuredMetadata)) {
    if (smMap[name] !== source) problems.push(`structured metadata ${name}: config reads ${smMap[name] ?? 'nothing'}, loki-streams.json says ${source}`);
  }
  for (const name of Object.keys(smMap)) {
    if (!(name in def.structuredMetadata)) problems.push(`structured metadata ${name} is not in loki-streams.json`);
  }
  if (out.structured_metadata_map_keys !== undefined) problems.push('structured_metadata_map_keys would add keys not in loki-streams.json');

  // Timestamp: the parser that reads the line takes its time from the JSON's timestamp field.
  const filters = (config.pipeline?.filters ?? []) as K8sObject[];
  const parserFilters = filters.filter((f) => f.name === 'parser');
  if (parserFilters.length !== 1) problems.push(`expected one parser filter, found ${parserFilters.length}`);
  const parserFilter = parserFilters[0];
  const parser = ((config.parsers ?? []) as K8sObject[]).find((p) => p.name === parserFilter?.parser);
  if (!parser) problems.push(`parser ${parserFilter?.parser} is not defined in parsers:`);
  else {
    if (parser.format !== 'json') problems.push(`parser ${parser.name} format is ${parser.format}, not json`);
    if (parser.time_key !== def.timestampField) problems.push(`parser time_key ${parser.time_key} != timestampField ${def.timestampField}`);
  }

  // The stored line is the exporter's text: the original `log` survives and is the only key left.
  if (parserFilter && (parserFilter.key_name !== 'log' || !on(parserFilter.preserve_key))) {
    problems.push('the parser filter must read `log` and keep it (preserve_key on): it is the line Loki stores');
  }
  const allow = filters.filter((f) => f.name === 'record_modifier').flatMap((f) => list(f.allowlist_key ?? f.whitelist_key));
  const used = [...dynamicLabels.map((l) => accessorPath(l.value)), ...sm.map((s) => accessorPath(s.value))].filter((p): p is string[] => p !== undefined);
  for (const path of used) {
    if (!allow.includes(path[0]!)) problems.push(`record_modifier allowlist_key drops ${path[0]}, which ${path.join('.')} needs`);
  }
  const removedWhole = new Set([...used.filter((p) => p.length === 1).map((p) => p[0]!), ...list(out.remove_keys).map((k) => k.replace(/^\$/, ''))]);
  const left = allow.filter((k) => !removedWhole.has(k));
  if (JSON.stringify(left) !== JSON.stringify(['log'])) {
    problems.push(`after the output removes label/metadata keys and remove_keys, the record keeps ${JSON.stringify(left)}, not just ["log"]`);
  }
  if (String(out.drop_single_key) !== 'raw') problems.push('drop_single_key must be raw so the lone `log` string is sent as the line, unquoted');
  if (out.line_format !== 'json') problems.push(`line_format ${out.line_format} is not json`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Fluent Bit's strptime, for the subset a time_format may use here

/** Parses like Fluent Bit's parser time lookup: strptime plus `%L` for fractional seconds. Returns epoch ms or undefined. */
function fluentBitStrptime(text: string, format: string): number | undefined {
  let i = 0;
  const f = { Y: 1970, m: 1, d: 1, H: 0, M: 0, S: 0, frac: 0, offsetMin: 0 };
  const digits = (min: number, max: number): number | undefined => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(text.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  for (let k = 0; k < format.length; k++) {
    const c = format[k]!;
    if (c !== '%') {
      if (text[i] !== c) return undefined;
      i++;
      continue;
    }
    const spec = format[++k];
    let v: number | undefined;
    switch (spec) {
      case 'Y':
        v = digits(4, 4);
        if (v === undefined) return undefined;
        f.Y = v;
        break;
      case 'm':
        v = digits(1, 2);
        if (v === undefined || v < 1 || v > 12) return undefined;
        f.m = v;
        break;
      case 'd':
        v = digits(1, 2);
        if (v === undefined || v < 1 || v > 31) return undefined;
        f.d = v;
        break;
      case 'H':
        v = digits(1, 2);
        if (v === undefined || v > 23) return undefined;
        f.H = v;
        break;
      case 'M':
        v = digits(1, 2);
        if (v === undefined || v > 59) return undefined;
        f.M = v;
        break;
      case 'S':
        v = digits(1, 2);
        if (v === undefined || v > 60) return undefined;
        f.S = v;
        break;
      case 'L': {
        const m = /^\d+/.exec(text.slice(i));
        if (!m) return undefined;
        i += m[0].length;
        f.frac = Number(`0.${m[0]}`);
        break;
      }
      case 'z': {
        if (text[i] === 'Z') {
          i++;
          f.offsetMin = 0;
          break;
        }
        const m = /^([+-])(\d{2}):?(\d{2})?/.exec(text.slice(i));
        if (!m) return undefined;
        i += m[0].length;
        f.offsetMin = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
        break;
      }
      default:
        throw new Error(`time_format uses %${spec}, which this model does not cover`);
    }
  }
  // Fluent Bit ignores trailing input after the format; the exporter writes nothing after Z.
  if (i !== text.length) return undefined;
  return Date.UTC(f.Y, f.m - 1, f.d, f.H, f.M, f.S) - f.offsetMin * 60_000 + Math.round(f.frac * 1000);
}

// ---------------------------------------------------------------------------------------------
// A model of the pipeline: CRI file lines in, Loki entries out

interface LokiEntry {
  labels: Record<string, string>;
  metadata: Record<string, string>;
  timestampMs: number;
  line: string;
}

const CRI = /^(?<time>.+?) (?<stream>stdout|stderr) (?<_p>F|P) (?<log>.*)$/;

function accessorValue(record: K8sObject, path: string[]): string | undefined {
  let node: unknown = record;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as K8sObject)[key];
  }
  if (node === undefined || node === null) return undefined;
  return typeof node === 'object' ? JSON.stringify(node) : String(node);
}

function removePath(record: K8sObject, path: string[]): void {
  let node: K8sObject | undefined = record;
  for (const key of path.slice(0, -1)) {
    node = typeof node?.[key] === 'object' ? node[key] : undefined;
  }
  if (node) delete node[path[path.length - 1]!];
}

function runPipeline(config: K8sObject, fileLines: string[]): LokiEntry[] {
  const input = (config.pipeline.inputs as K8sObject[])[0]!;
  if (input['multiline.parser'] !== 'cri') throw new Error('model covers the cri multiline parser only');
  // cri: P lines are joined with the following lines of the same stream up to an F line.
  const records: Array<{ ts: number; rec: K8sObject }> = [];
  const pending = new Map<string, string>();
  for (const raw of fileLines) {
    const m = CRI.exec(raw);
    if (!m?.groups) continue;
    const { time, stream, _p, log } = m.groups as Record<string, string>;
    const joined = (pending.get(stream!) ?? '') + log;
    if (_p === 'P') {
      pending.set(stream!, joined);
      continue;
    }
    pending.delete(stream!);
    records.push({ ts: fluentBitStrptime(time!, '%Y-%m-%dT%H:%M:%S.%L%z') ?? 0, rec: { time, stream, _p, log: joined } });
  }

  const parsers = new Map(((config.parsers ?? []) as K8sObject[]).map((p) => [p.name, p]));
  let current = records;
  for (const filter of (config.pipeline.filters ?? []) as K8sObject[]) {
    const next: typeof current = [];
    for (const item of current) {
      const { rec } = item;
      if (filter.name === 'grep') {
        const rules = list(filter.regex).length ? [String(filter.regex)] : [];
        const keep = rules.every((rule) => {
          const sp = rule.indexOf(' ');
          const value = accessorValue(rec, [rule.slice(0, sp)]);
          return value !== undefined && new RegExp(rule.slice(sp + 1)).test(value);
        });
        if (keep) next.push(item);
      } else if (filter.name === 'parser') {
        const parser = parsers.get(filter.parser)!;
        const text = rec[filter.key_name];
        let parsed: K8sObject | undefined;
        try {
          parsed = parser.format === 'json' && typeof text === 'string' ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
          next.push(item);
          continue;
        }
        let ts = item.ts;
        if (parser.time_key && typeof parsed[parser.time_key] === 'string') {
          const t = fluentBitStrptime(parsed[parser.time_key], parser.time_format);
          if (t !== undefined) ts = t;
          if (!on(parser.time_keep)) delete parsed[parser.time_key];
        }
        const out: K8sObject = { ...parsed };
        if (on(filter.reserve_data)) {
          for (const [k, v] of Object.entries(rec)) if (k !== filter.key_name && !(k in out)) out[k] = v;
        }
        if (on(filter.preserve_key)) out[filter.key_name] = text;
        next.push({ ts, rec: out });
      } else if (filter.name === 'record_modifier') {
        const allow = list(filter.allowlist_key ?? filter.whitelist_key);
        next.push({ ts: item.ts, rec: Object.fromEntries(Object.entries(rec).filter(([k]) => allow.includes(k))) });
      } else {
        throw new Error(`model does not cover filter ${filter.name}`);
      }
    }
    current = next;
  }

  const out = lokiOutputs(config)[0]!;
  const labelDefs = kvList(out.labels);
  const smDefs = kvList(out.structured_metadata);
  return current.map(({ ts, rec }) => {
    const evaluate = (defs: Array<{ key: string; value: string }>) => {
      const result: Record<string, string> = {};
      for (const { key, value } of defs) {
        const path = value.startsWith('$') ? accessorPath(value) : undefined;
        const v = path ? accessorValue(rec, path) : value;
        if (v !== undefined && v !== '') result[key] = v; // empty values are skipped by the plugin
      }
      return result;
    };
    const labels = evaluate(labelDefs);
    const metadata = evaluate(smDefs);
    const stored = structuredClone(rec);
    for (const def of [...labelDefs, ...smDefs]) {
      const path = def.value.startsWith('$') ? accessorPath(def.value) : undefined;
      if (path) removePath(stored, path);
    }
    for (const key of list(out.remove_keys)) removePath(stored, accessorPath(key.startsWith('$') ? key : `$${key}`)!);
    const keys = Object.keys(stored);
    const line =
      String(out.drop_single_key) === 'raw' && keys.length === 1 && typeof stored[keys[0]!] === 'string'
        ? (stored[keys[0]!] as string)
        : JSON.stringify(keys.length === 1 && on(out.drop_single_key) ? stored[keys[0]!] : stored);
    return { labels, metadata, timestampMs: ts, line };
  });
}

// ---------------------------------------------------------------------------------------------
// Real exporter lines

const ctx = { clusterName: 'prod-eu', maxMessageBytes: 4096 };
const podEvent: RawEvent = {
  metadata: { name: 'api-7d9c-x2x.17a1', namespace: 'shop', uid: 'u1', resourceVersion: '91', creationTimestamp: '2026-11-21T02:58:00Z' },
  involvedObject: {
    kind: 'Pod',
    namespace: 'shop',
    name: 'api-7d9c-x2x',
    uid: 'p1',
    apiVersion: 'v1',
    resourceVersion: '880',
    fieldPath: 'spec.containers{api}',
  },
  reason: 'BackOff',
  message: 'Back-off restarting failed container api in pod "api-7d9c-x2x_shop" — ünïcode\ttab\nnewline',
  source: { component: 'kubelet', host: 'node-3' },
  firstTimestamp: '2026-11-21T02:58:00Z',
  lastTimestamp: '2026-11-21T03:12:09Z',
  count: 17,
  type: 'Warning',
  eventTime: null,
  reportingComponent: 'kubelet',
  reportingInstance: 'node-3',
};
const nodeEvent: RawEvent = {
  metadata: { name: 'node-3.17b2', namespace: 'default', uid: 'u2', resourceVersion: '92', creationTimestamp: '2026-11-21T04:00:00Z' },
  involvedObject: { kind: 'Node', name: 'node-3', uid: 'node-3', apiVersion: 'v1' },
  reason: 'OOMKilling',
  message: 'Out of memory: Killed process 4242 (java)',
  source: { component: 'kernel-monitor', host: 'node-3' },
  firstTimestamp: '2026-11-21T04:00:00Z',
  lastTimestamp: '2026-11-21T04:00:00Z',
  count: 1,
  type: 'Warning',
  eventTime: null,
};
const schedulerEvent: RawEvent = {
  metadata: { name: 'web-0.17c3', namespace: 'shop', uid: 'u3', resourceVersion: '93', creationTimestamp: '2026-11-21T05:00:01Z' },
  involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'p3', apiVersion: 'v1' },
  reason: 'FailedScheduling',
  message: '0/3 nodes are available',
  source: {},
  firstTimestamp: null,
  lastTimestamp: null,
  count: null,
  type: 'Warning',
  eventTime: '2026-11-21T05:00:00.123456Z',
  series: { count: 4, lastObservedTime: '2026-11-21T05:07:30.654321Z' },
  reportingComponent: 'default-scheduler',
  reportingInstance: 'default-scheduler-cp-1',
};

const lines = [
  JSON.stringify(buildLine(podEvent, 'warning', 3, ctx, { workload: { kind: 'Deployment', name: 'api' }, labels: { 'app.kubernetes.io/name': 'api' } })),
  JSON.stringify(buildLine(nodeEvent, 'error', 1, ctx)),
  JSON.stringify(buildLine(schedulerEvent, 'warning', 4, { clusterName: '', maxMessageBytes: 4096 })),
];

const criTime = '2026-11-21T06:00:00.000000001Z';
const cri = (stream: 'stdout' | 'stderr', text: string, partial = false) => `${criTime} ${stream} ${partial ? 'P' : 'F'} ${text}`;

/** What loki-streams.json says a line's labels and metadata are. */
function expectedFor(line: string) {
  const obj = JSON.parse(line);
  const get = (path: string) => path.split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), obj);
  const pick = (m: Record<string, string>) =>
    Object.fromEntries(Object.entries(m).flatMap(([name, path]) => (get(path) === undefined || get(path) === '' ? [] : [[name, String(get(path))]])));
  return {
    labels: { job: streams.job, ...pick(streams.labels) },
    metadata: pick(streams.structuredMetadata),
    timestampMs: Date.parse(obj[streams.timestampField]),
  };
}

// ---------------------------------------------------------------------------------------------

describe('fluent-bit/fluent-bit.yaml', () => {
  const config = loadConfig();
  const input = (config.pipeline?.inputs ?? [])[0] ?? {};
  const filters = (config.pipeline?.filters ?? []) as K8sObject[];
  const output = lokiOutputs(config)[0] ?? {};
  const rendered = renderKustomization('fluent-bit');
  const daemonSet = find(rendered.objects, 'DaemonSet', 'kube-eventline-fluent-bit');
  const podSpec = daemonSet?.spec?.template?.spec ?? {};
  const container = (podSpec.containers ?? [])[0] ?? {};
  const mounts = (container.volumeMounts ?? []) as K8sObject[];
  const hostMount = (path: string) => {
    const volume = (podSpec.volumes ?? []).find((v: K8sObject) => v.hostPath && (path === v.hostPath.path || path.startsWith(`${v.hostPath.path}/`)));
    return volume ? mounts.find((m) => m.name === volume.name) : undefined;
  };

  it('has one tail input, one loki output, and the YAML sections Fluent Bit 3+/4 reads', () => {
    expect(Object.keys(config).sort()).toEqual(['parsers', 'pipeline', 'service']);
    expect(config.pipeline.inputs).toHaveLength(1);
    expect(input.name).toBe('tail');
    expect(config.pipeline.outputs).toHaveLength(1);
    expect(output.name).toBe('loki');
    expect(output.match).toBe(input.tag);
    for (const f of filters) expect(f.match).toBe(input.tag);
  });

  it('tails only the exporter container log (CRI file naming), with the cri multiline parser', () => {
    expect(input['multiline.parser']).toBe('cri');
    const deployment = find(renderKustomization('deploy').objects, 'Deployment', 'kube-eventline');
    expect(deployment, 'deploy/ must define Deployment kube-eventline').toBeDefined();
    const ns = deployment!.metadata.namespace;
    const containerName = deployment!.spec.template.spec.containers[0].name;
    expect(containerName).toBe('exporter');
    const glob = globToRegExp(input.path);
    const id = 'a'.repeat(64);
    expect(glob.test(`/var/log/containers/kube-eventline-6f9d8c7b5-x2x7z_${ns}_${containerName}-${id}.log`)).toBe(true);
    // Not Fluent Bit itself, not NPD, not the same pod name in another namespace or container.
    expect(glob.test(`/var/log/containers/kube-eventline-fluent-bit-abcde_${ns}_fluent-bit-${id}.log`)).toBe(false);
    expect(glob.test(`/var/log/containers/kube-eventline-6f9d8c7b5-x2x7z_default_${containerName}-${id}.log`)).toBe(false);
    expect(glob.test(`/var/log/containers/other-6f9d8c7b5-x2x7z_${ns}_${containerName}-${id}.log`)).toBe(false);
    expect(glob.test(`/var/log/containers/kube-eventline-6f9d8c7b5-x2x7z_${ns}_sidecar-${id}.log`)).toBe(false);
  });

  it('keeps positions and chunks on the host: db and storage.path on the writable hostPath, filesystem buffering', () => {
    expect(input.db).toMatch(/\.db$/);
    expect(hostMount(input.db)?.readOnly).not.toBe(true);
    expect(on(input['db.locking'])).toBe(true);
    expect(input['storage.type']).toBe('filesystem');
    expect(config.service['storage.path']).toBeDefined();
    expect(hostMount(config.service['storage.path'])?.readOnly).not.toBe(true);
    expect(hostMount(input.path.replace(/\*.*$/, 'x'))?.readOnly).toBe(true);
    expect(input.mem_buf_limit).toMatch(/^\d+[KMG]B$/);
    expect(config.service['storage.max_chunks_up']).toBeGreaterThan(0);
    expect(config.service['storage.backlog.mem_limit']).toMatch(/^\d+[KMG]$/);
    expect(on(input.read_from_head)).toBe(true);
    expect(on(input.skip_long_lines)).toBe(true);
  });

  it('keeps only stdout, parses the JSON line with `time` as the timestamp, and keeps only event lines', () => {
    expect(filters.map((f) => f.name)).toEqual(['grep', 'parser', 'grep', 'record_modifier']);
    const streamGrep = String(filters[0]!.regex);
    expect(streamGrep.split(' ')[0]).toBe('stream');
    const streamRe = new RegExp(streamGrep.slice(streamGrep.indexOf(' ') + 1));
    expect(streamRe.test('stdout')).toBe(true);
    expect(streamRe.test('stderr')).toBe(false);

    const parserFilter = filters[1]!;
    expect(parserFilter.key_name).toBe('log');
    const parser = (config.parsers as K8sObject[]).find((p) => p.name === parserFilter.parser)!;
    expect(parser).toMatchObject({ format: 'json', time_key: streams.timestampField });
    expect(on(parser.time_keep)).toBe(true);
    expect(on(parserFilter.preserve_key)).toBe(true);
    expect(on(parserFilter.reserve_data)).toBe(true);

    const levelGrep = String(filters[2]!.regex);
    expect(levelGrep.split(' ')[0]).toBe('level');
    const levelRe = new RegExp(levelGrep.slice(levelGrep.indexOf(' ') + 1));
    for (const level of LEVELS) expect(levelRe.test(level), level).toBe(true);
    for (const other of ['', 'warn', 'Warning', 'debug', 'errors']) expect(levelRe.test(other), other).toBe(false);
  });

  it('time_format reads the exporter `time` (milliseconds, Z) to the exact instant', () => {
    const parser = (config.parsers as K8sObject[]).find((p) => p.name === filters[1]!.parser)!;
    expect(parser.time_format).toContain('%L');
    expect(parser.time_format).toMatch(/%z$/);
    const times = [...lines.map((l) => JSON.parse(l).time as string), '2026-11-21T03:12:09.000Z', '2024-02-29T23:59:59.999Z', '1999-12-31T00:00:00.001Z'];
    for (const t of times) {
      expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(fluentBitStrptime(t, parser.time_format), t).toBe(Date.parse(t));
    }
    // The model is a real check: formats without the fraction or the zone do not read the line.
    expect(fluentBitStrptime('2026-11-21T03:12:09.000Z', '%Y-%m-%dT%H:%M:%S%z')).toBeUndefined();
    expect(fluentBitStrptime('2026-11-21T03:12:09.000Z', '%Y-%m-%dT%H:%M:%S.%L')).toBeUndefined();
    expect(fluentBitStrptime('2026-11-21T03:12:09.250+01:00', '%Y-%m-%dT%H:%M:%S.%L%z')).toBe(Date.parse('2026-11-21T02:12:09.250Z'));
  });

  it('sends to Loki with exactly the labels and structured metadata of loki-streams.json', () => {
    const labels = kvList(output.labels);
    expect(labels.map((l) => l.key).sort()).toEqual(['job', ...Object.keys(streams.labels)].sort());
    expect(labels.find((l) => l.key === 'job')?.value).toBe(streams.job);
    for (const [name, source] of Object.entries(streams.labels)) {
      expect(accessorPath(labels.find((l) => l.key === name)!.value)?.join('.'), name).toBe(source);
    }
    const sm = kvList(output.structured_metadata);
    expect(sm.map((s) => s.key).sort()).toEqual(Object.keys(streams.structuredMetadata).sort());
    for (const [name, source] of Object.entries(streams.structuredMetadata)) {
      expect(accessorPath(sm.find((s) => s.key === name)!.value)?.join('.'), name).toBe(source);
    }
    expect(output.line_format).toBe('json');
    expect(String(output.drop_single_key)).toBe('raw');
  });

  it('takes Loki host, port, tenant and TLS from env vars the DaemonSet sets (quickstart defaults)', () => {
    expect(output.host).toBe('${LOKI_HOST}');
    expect(output.port).toBe('${LOKI_PORT}');
    expect(output.tenant_id).toBe('${LOKI_TENANT}');
    expect(output.tls).toBe('${LOKI_TLS}');
    const env = Object.fromEntries((container.env ?? []).map((e: K8sObject) => [e.name, e.value]));
    expect(env).toMatchObject({ LOKI_HOST: 'loki.kube-eventline.svc', LOKI_PORT: '3100', LOKI_TENANT: 'fake', LOKI_TLS: 'off' });
  });

  it('loses nothing on SIGKILL: chunk checksums off (they discard the chunk being written), each write synced', () => {
    // Measured with Fluent Bit 4.2.2: checksums on lost 36-96 lines per SIGKILL, off lost 0 in 5 of 5.
    expect(on(config.service['storage.checksum'])).toBe(false);
    expect(config.service['storage.sync']).toBe('full');
    // The choice and its cost are written next to the setting and in the docs.
    expect(readFileSync(CONFIG_PATH, 'utf8')).toMatch(/SIGKILL[\s\S]*storage\.checksum: off/);
    const docs = readFileSync(repoPath('docs', 'bundle.md'), 'utf8');
    expect(docs).toMatch(/### What a SIGKILL costs/);
    expect(docs).toMatch(/storage\.checksum: off/);
  });

  it('memory: the limit is 1.5x the measured peak, and no buffer is larger than when that peak was measured', () => {
    // Measured (VmHWM) with Fluent Bit 4.2.2: 162 MiB reading a 200k-line backlog against a
    // rate-limiting Loki, with the buffers below at their MEASURED values; 38 MiB at 10k lines.
    const PEAK_MIB = 162;
    const STEADY_MIB = 38;
    const MEASURED = { maxChunksUp: 32, backlogMiB: 16, memBufMiB: 16, bufferMaxMiB: 1 };
    const mib = (v: string): number => {
      const m = /^(\d+)(Mi|Gi|M|MB|K|KB)$/.exec(String(v));
      expect(m, `a size: ${v}`).not.toBeNull();
      const n = Number(m![1]);
      return { Mi: n, Gi: n * 1024, M: n, MB: n, K: n / 1024, KB: n / 1024 }[m![2] as 'Mi'];
    };
    expect(config.service['storage.max_chunks_up']).toBeLessThanOrEqual(MEASURED.maxChunksUp);
    expect(mib(config.service['storage.backlog.mem_limit'])).toBeLessThanOrEqual(MEASURED.backlogMiB);
    expect(mib(input.mem_buf_limit)).toBeLessThanOrEqual(MEASURED.memBufMiB);
    expect(mib(input.buffer_max_size)).toBeLessThanOrEqual(MEASURED.bufferMaxMiB);
    expect(mib(input.buffer_chunk_size)).toBeLessThanOrEqual(mib(input.buffer_max_size));
    const resources = container.resources ?? {};
    expect(mib(resources.limits.memory)).toBeGreaterThanOrEqual(1.5 * PEAK_MIB);
    expect(mib(resources.requests.memory)).toBeGreaterThanOrEqual(STEADY_MIB);
    // The chunks that may be up, at ~2 MB each, fit in the limit several times over.
    expect(config.service['storage.max_chunks_up'] * 2).toBeLessThan(mib(resources.limits.memory) / 4);
    // The arithmetic is written down.
    const docs = readFileSync(repoPath('docs', 'bundle.md'), 'utf8');
    expect(docs).toContain(`${PEAK_MIB} MiB`);
    expect(docs).toContain(resources.limits.memory);
  });

  it('loses nothing while Loki is down: unlimited retries, bounded by the on-disk buffer', () => {
    expect(String(output.retry_limit)).toBe('no_limits');
    expect(output['storage.total_limit_size']).toMatch(/^\d+[KMG]$/);
    expect(config.service['scheduler.cap']).toBeGreaterThan(0);
  });

  it('agrees with jsonnet/loki-streams.json (the check the dashboards rely on)', () => {
    expect(streamsAgreementProblems(config, streams)).toEqual([]);
  });

  it('the agreement check fails on every kind of drift', () => {
    const mutate = (change: (c: K8sObject) => void) => {
      const c = clone(config);
      change(lokiOutputs(c)[0]!);
      return streamsAgreementProblems(c, streams);
    };
    const mutateConfig = (change: (c: K8sObject) => void) => {
      const c = clone(config);
      change(c);
      return streamsAgreementProblems(c, streams);
    };
    expect(mutate((o) => (o.labels = String(o.labels).replace('$level', '$type')))).toContainEqual(expect.stringContaining('label level'));
    expect(mutate((o) => (o.labels = `${o.labels}, pod=$involvedObject['name']`))).toContainEqual(expect.stringContaining('label pod'));
    expect(mutate((o) => (o.labels = String(o.labels).replace('job=kube-eventline', 'job=events')))).toContainEqual(expect.stringContaining('static labels'));
    expect(mutate((o) => (o.structured_metadata = String(o.structured_metadata).replace(/, node=[^,]+/, '')))).toContainEqual(
      expect.stringContaining('structured metadata node'),
    );
    expect(
      mutate((o) => (o.structured_metadata = String(o.structured_metadata).replace("$involvedObject['workload']['name']", "$involvedObject['workload']"))),
    ).toContainEqual(expect.stringContaining('structured metadata workload'));
    expect(mutate((o) => (o.label_keys = '$reason'))).not.toEqual([]);
    expect(mutate((o) => delete o.remove_keys)).toContainEqual(expect.stringContaining('not just ["log"]'));
    expect(mutate((o) => (o.drop_single_key = 'on'))).toContainEqual(expect.stringContaining('drop_single_key'));
    expect(mutateConfig((c) => (c.parsers[0].time_key = 'lastTimestamp'))).toContainEqual(expect.stringContaining('time_key'));
    expect(
      mutateConfig((c) => (c.pipeline.filters[3].allowlist_key = c.pipeline.filters[3].allowlist_key.filter((k: string) => k !== 'source'))),
    ).toContainEqual(expect.stringContaining('drops source'));
    expect(mutateConfig((c) => (c.pipeline.filters[1].preserve_key = 'off'))).toContainEqual(expect.stringContaining('preserve_key'));
    // And a loki-streams.json that gains a key the config lacks.
    expect(streamsAgreementProblems(config, { ...streams, structuredMetadata: { ...streams.structuredMetadata, uid: 'involvedObject.uid' } })).toContainEqual(
      expect.stringContaining('structured metadata uid'),
    );
  });

  it('model: each exporter line reaches Loki byte-for-byte, at its occurrence time, with the streams of loki-streams.json', () => {
    const fileLines = [
      cri('stderr', '{"level":30,"msg":"watch started"}'),
      ...lines.map((l) => cri('stdout', l)),
      cri('stdout', 'not json at all'),
      cri('stdout', '{"note":"json but not an event line"}'),
    ];
    const entries = runPipeline(config, fileLines);
    expect(entries.map((e) => e.line)).toEqual(lines);
    for (const entry of entries) {
      const want = expectedFor(entry.line);
      expect(entry.labels).toEqual(want.labels);
      expect(entry.metadata).toEqual(want.metadata);
      expect(entry.timestampMs).toBe(want.timestampMs);
    }
    // Spot checks against the contract's own words.
    expect(entries[0]!.metadata).toEqual({ reason: 'BackOff', kind: 'Pod', name: 'api-7d9c-x2x', workload: 'api', node: 'node-3' });
    expect(entries[1]!.labels).toEqual({ job: 'kube-eventline', cluster: 'prod-eu', namespace: streams.clusterScopedNamespace, level: 'error' });
    // clusterName "" gives no cluster label (Loki has no empty label values); no host, no node.
    expect(entries[2]!.labels).toEqual({ job: 'kube-eventline', namespace: 'shop', level: 'warning' });
    expect(entries[2]!.metadata).toEqual({ reason: 'FailedScheduling', kind: 'Pod', name: 'web-0' });
    expect(entries[2]!.timestampMs).toBe(Date.parse('2026-11-21T05:07:30.654Z'));

    // The model is sensitive to the settings that keep the line intact.
    const withoutRemoveKeys = clone(config);
    delete lokiOutputs(withoutRemoveKeys)[0]!.remove_keys;
    expect(runPipeline(withoutRemoveKeys, fileLines)[0]!.line).not.toBe(lines[0]);
    const withoutPreserve = clone(config);
    withoutPreserve.pipeline.filters[1].preserve_key = 'off';
    expect(runPipeline(withoutPreserve, fileLines)[0]!.line).not.toBe(lines[0]);
  });

  it('model: a line the runtime split into partial (P) chunks is joined before parsing', () => {
    const line = lines[0]!;
    const cut = [line.slice(0, 100), line.slice(100, 250), line.slice(250)];
    const entries = runPipeline(config, [cri('stdout', cut[0]!, true), cri('stdout', cut[1]!, true), cri('stdout', cut[2]!)]);
    expect(entries.map((e) => e.line)).toEqual([line]);
  });
});
