// Every log pattern of every NPD system-log monitor in npd/config, run against
// kernel / containerd / dockerd lines that must fire and lines that must not,
// with NPD's own matching rule (end-anchored search over the joined buffer).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMonitors, npdFixtures, npdMatches, type SystemLogMonitor } from './npd-support.js';

interface Sample {
  line: string;
  reasons: string[];
}

const samples = JSON.parse(readFileSync(join(npdFixtures, 'log-lines.json'), 'utf8')) as Record<string, Sample[] | string>;

const logMonitors = loadMonitors().filter((m): m is { kind: 'system-log'; file: string; config: SystemLogMonitor } => m.kind === 'system-log');

/** The reasons NPD would report when `line` is pushed as the newest log line. */
function firedReasons(config: SystemLogMonitor, buffer: string[]): string[] {
  const fired = config.rules.filter((r) => npdMatches(r.pattern, buffer, config.bufferSize ?? 10)).map((r) => r.reason);
  return [...new Set(fired)].sort();
}

describe('npd matching model', () => {
  it('anchors at the end of the newest line but not at its start', () => {
    expect(npdMatches('EXT4-fs error .*', ['EXT4-fs error (device sda1): x'])).toBe(true);
    expect(npdMatches('EXT4-fs error .*', ['[ 12.3] EXT4-fs error (device sda1): x'])).toBe(true);
    expect(npdMatches('Remounting filesystem read-only', ['Remounting filesystem read-only, sort of'])).toBe(false);
  });

  it('only the newest buffered line can end a match', () => {
    const oom = 'Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:1kB';
    const pattern = 'Killed process \\d+ \\(.+\\) total-vm:\\d+kB, anon-rss:\\d+kB, file-rss:\\d+kB.*';
    expect(npdMatches(pattern, ['eth0: link up', oom])).toBe(true);
    expect(npdMatches(pattern, [oom, 'eth0: link up'])).toBe(false);
  });

  it('keeps only bufferSize lines, so a multi-line pattern cannot reach older ones', () => {
    expect(npdMatches('first\\nlast', ['first', 'last'], 2)).toBe(true);
    expect(npdMatches('first\\nlast', ['first', 'last'], 1)).toBe(false);
  });
});

describe.each(logMonitors.map((m) => [m.file, m.config] as const))('%s', (file, config) => {
  const lines = samples[file];

  it('has sample lines in test/fixtures/npd/log-lines.json', () => {
    expect(Array.isArray(lines), `add "${file}" to test/fixtures/npd/log-lines.json`).toBe(true);
    expect(
      (lines as Sample[]).some((s) => s.reasons.length === 0),
      'needs lines that must not match',
    ).toBe(true);
  });

  it.each(((lines as Sample[] | undefined) ?? []).map((s) => [s.line, s.reasons] as const))('line %j fires exactly %j', (line, reasons) => {
    // Behind some unrelated earlier lines, as in a real buffer.
    const buffer = ['Linux version 6.1.0-18-amd64', 'eth0: Link is Up - 10Gbps/Full', line];
    expect(firedReasons(config, buffer)).toEqual([...reasons].sort());
  });

  it.each(config.rules.map((r, i) => [i, r.reason, r.pattern] as const))('rule %i (%s) matches at least one sample line on its own', (_i, _reason, pattern) => {
    const hits = ((lines as Sample[] | undefined) ?? []).filter((s) => npdMatches(pattern, [s.line]));
    expect(hits.length, `no sample line exercises /${pattern}/`).toBeGreaterThan(0);
  });

  it('every reason that appears in the samples is a reason of this monitor', () => {
    const known = new Set(config.rules.map((r) => r.reason));
    for (const s of (lines as Sample[] | undefined) ?? []) {
      for (const r of s.reasons) expect(known.has(r), `${r} is not a reason of ${file}`).toBe(true);
    }
  });
});
