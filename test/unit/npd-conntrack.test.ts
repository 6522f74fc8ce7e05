// npd/plugin/check_conntrack.sh run with bash against fake /proc trees
// (test/fixtures/npd/proc/<case>/sys/net/netfilter).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMonitors, npdFixtures, pluginScript, runScript, type ScriptResult } from './npd-support.js';

const script = pluginScript('check_conntrack.sh');

const network = loadMonitors().find((m) => m.file === 'network-problem-monitor.json');
const maxOutput = network?.kind === 'custom' ? network.config.pluginConfig.max_output_length : 80;

function netfilter(fixture: string): string {
  return join(npdFixtures, 'proc', fixture, 'sys', 'net', 'netfilter');
}

function run(fixture: string, extra: Record<string, string> = {}): ScriptResult {
  const dir = netfilter(fixture);
  return runScript(script, {
    CONNTRACK_COUNT_FILE: join(dir, 'nf_conntrack_count'),
    CONNTRACK_MAX_FILE: join(dir, 'nf_conntrack_max'),
    ...extra,
  });
}

/** NPD trims stdout and keeps max_output_length characters; the script must fit in one line. */
function expectOneLine(r: ScriptResult): string {
  expect(r.stdout.endsWith('\n')).toBe(true);
  const line = r.stdout.slice(0, -1);
  expect(line).not.toContain('\n');
  expect(line.length).toBeGreaterThan(0);
  expect(line.length).toBeLessThanOrEqual(maxOutput);
  return line;
}

describe('check_conntrack.sh', () => {
  it('OK (exit 0) at 50 %', () => {
    const r = run('ok');
    expect(r.status).toBe(0);
    expect(expectOneLine(r)).toBe('Conntrack table usage 50 percent: 65536 out of 131072');
  });

  it('ConntrackFull (exit 1) just over 90 %', () => {
    const r = run('full');
    expect(r.status).toBe(1);
    expect(expectOneLine(r)).toBe('Conntrack table usage over 90 percent: 117965 out of 131072');
  });

  it('OK at exactly 90 %: "over 90%" means strictly more than 90 %', () => {
    const r = run('exactly-90');
    expect(r.status).toBe(0);
    expect(expectOneLine(r)).toBe('Conntrack table usage 90 percent: 117000 out of 130000');
  });

  it('OK at 117964 of 131072, which is 89.9994 %, with no rounding up', () => {
    const r = run('just-under-90');
    expect(r.status).toBe(0);
    expect(expectOneLine(r)).toMatch(/^Conntrack table usage 89 percent/);
  });

  it('Unknown (exit 2) when the conntrack files do not exist', () => {
    const r = runScript(script, {
      CONNTRACK_COUNT_FILE: join(npdFixtures, 'proc', 'nowhere', 'nf_conntrack_count'),
      CONNTRACK_MAX_FILE: join(npdFixtures, 'proc', 'nowhere', 'nf_conntrack_max'),
    });
    expect(r.status).toBe(2);
    expect(expectOneLine(r)).toBe('Missing nf_conntrack_count (module not loaded?)');
  });

  it('Unknown when only the count file is missing', () => {
    const r = run('no-count');
    expect(r.status).toBe(2);
    expect(expectOneLine(r)).toBe('Missing nf_conntrack_count (module not loaded?)');
  });

  it('Unknown with "Cannot read" when the count cannot be read', () => {
    // nf_conntrack_count is a directory in this fixture: tests run as root, and root
    // reads a chmod 000 file regardless, so a directory is the portable unreadable case.
    const r = run('unreadable');
    expect(r.status).toBe(2);
    expect(expectOneLine(r)).toBe('Cannot read nf_conntrack_count');
  });

  it('Unknown when a file holds no number, or max is 0', () => {
    const garbage = run('garbage');
    expect(garbage.status).toBe(2);
    expect(expectOneLine(garbage)).toBe("Not a number in nf_conntrack_count: 'n/a'");
    const zero = run('max-zero');
    expect(zero.status).toBe(2);
    expect(expectOneLine(zero)).toBe('Conntrack max is 0; cannot compute usage');
  });

  it('honours CONNTRACK_THRESHOLD_PERCENT and rejects a bad one', () => {
    const r = run('ok', { CONNTRACK_THRESHOLD_PERCENT: '40' });
    expect(r.status).toBe(1);
    expect(expectOneLine(r)).toBe('Conntrack table usage over 40 percent: 65536 out of 131072');
    const bad = run('ok', { CONNTRACK_THRESHOLD_PERCENT: '90%' });
    expect(bad.status).toBe(2);
  });

  it('reads a threshold with leading zeros as decimal: 090 is 90 %, so 95 % is over it', () => {
    // Bash arithmetic reads 090 as a broken octal number: the comparison failed and 95 % was OK.
    const r = run('at-95', { CONNTRACK_THRESHOLD_PERCENT: '090' });
    expect(r.status).toBe(1);
    expect(expectOneLine(r)).toBe('Conntrack table usage over 90 percent: 95000 out of 100000');
    // 060 read as octal would be 48, and 50 % would be over it.
    const sixty = run('ok', { CONNTRACK_THRESHOLD_PERCENT: '060' });
    expect(sixty.status).toBe(0);
    expect(expectOneLine(sixty)).toBe('Conntrack table usage 50 percent: 65536 out of 131072');
  });

  it('ConntrackFull at 95 % with the default threshold', () => {
    const r = run('at-95');
    expect(r.status).toBe(1);
    expect(expectOneLine(r)).toBe('Conntrack table usage over 90 percent: 95000 out of 100000');
  });

  it.each([
    ['empty', ''],
    ['zero', '0'],
    ['negative', '-5'],
    ['over 100', '101'],
    ['huge', '99999999999999999999'],
    ['non-numeric', 'ninety'],
    ['with a percent sign', '90%'],
    ['hexadecimal', '0x5a'],
    ['with blanks', ' 90'],
    ['an arithmetic expression', '1+1'],
  ])('Unknown with a short message for a bad CONNTRACK_THRESHOLD_PERCENT (%s)', (_what, value) => {
    const r = run('at-95', { CONNTRACK_THRESHOLD_PERCENT: value });
    expect(r.status).toBe(2);
    // A '%' would be read by NPD's Printf-style Event formatting, so the script shows it as '?'.
    expect(expectOneLine(r)).toBe(`Bad CONNTRACK_THRESHOLD_PERCENT: '${value.slice(0, 20).replaceAll('%', '?')}' (want 1-100)`);
    expect(r.stderr).toBe('');
  });

  it.each(['CONNTRACK_COUNT_FILE', 'CONNTRACK_MAX_FILE'])('Unknown when %s is set but empty', (name) => {
    const r = run('ok', { [name]: '' });
    expect(r.status).toBe(2);
    expect(expectOneLine(r)).toBe(`Bad ${name}: '' (empty)`);
  });

  describe('hostile file contents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npd-conntrack-values-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const withCount = (name: string, count: string, max = '131072\n'): ScriptResult => {
      writeFileSync(join(dir, `${name}-count`), count);
      writeFileSync(join(dir, `${name}-max`), max);
      return runScript(script, { CONNTRACK_COUNT_FILE: join(dir, `${name}-count`), CONNTRACK_MAX_FILE: join(dir, `${name}-max`) });
    };

    it.each([
      ['negative', '-5\n'],
      ['empty', ''],
      ['16 digits', '1234567890123456\n'],
    ])('Unknown for a %s count', (what, content) => {
      const name = what.replace(/\W+/g, '-');
      const r = withCount(name, content);
      expect(r.status).toBe(2);
      expect(expectOneLine(r)).toBe(`Not a number in ${name}-count: '${content.trim().slice(0, 20)}'`);
    });

    it('reads counts with leading zeros as decimal', () => {
      const r = withCount('zeros', '0000065536\n', '00131072\n');
      expect(r.status).toBe(0);
      expect(expectOneLine(r)).toBe('Conntrack table usage 50 percent: 65536 out of 131072');
    });

    it('computes with the largest counts it accepts (15 digits) without overflow', () => {
      const r = withCount('large', '950000000000000\n', '999999999999999\n');
      expect(r.status).toBe(1);
      expect(expectOneLine(r)).toBe('Conntrack table usage over 90 percent: 950000000000000 out of 999999999999999');
    });
  });

  describe('as the checks container user (uid 65534)', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'npd-conntrack-'));
    chmodSync(scratch, 0o755);
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    /**
     * Run the script as uid/gid 65534 like the DaemonSet's checks container. When the
     * tests run as root, drop to 65534 with setpriv (util-linux); otherwise the tests
     * already run unprivileged and the script runs as the current user.
     */
    function runUnprivileged(env: Record<string, string>): ScriptResult {
      const asRoot = process.getuid?.() === 0;
      const cmd = asRoot ? 'setpriv' : 'bash';
      const args = asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', 'bash', script] : [script];
      const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
      if (r.error) throw r.error;
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    it('reads world-readable files', () => {
      writeFileSync(join(scratch, 'count'), '1000\n', { mode: 0o444 });
      writeFileSync(join(scratch, 'max'), '2000\n', { mode: 0o444 });
      const r = runUnprivileged({ CONNTRACK_COUNT_FILE: join(scratch, 'count'), CONNTRACK_MAX_FILE: join(scratch, 'max') });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(expectOneLine(r)).toBe('Conntrack table usage 50 percent: 1000 out of 2000');
    });

    it('reports Unknown for a chmod 000 file, which a non-root user cannot read', () => {
      writeFileSync(join(scratch, 'count0'), '1000\n');
      chmodSync(join(scratch, 'count0'), 0o000);
      writeFileSync(join(scratch, 'max0'), '2000\n', { mode: 0o444 });
      const r = runUnprivileged({ CONNTRACK_COUNT_FILE: join(scratch, 'count0'), CONNTRACK_MAX_FILE: join(scratch, 'max0') });
      expect(r.status).toBe(2);
      expect(expectOneLine(r)).toBe('Cannot read count0');
    });
  });
});
