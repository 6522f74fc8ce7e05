// npd/plugin/check_clock.sh with test doubles for chronyc and timedatectl
// (test/fixtures/npd/bin): the real tools need chronyd or systemd-timedated running.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine, loadMonitors, npdFixtures, pluginScript, runScript, type ScriptResult } from './npd-support.js';

const script = pluginScript('check_clock.sh');
// The script runs these as commands, so they must be executable: copy them with
// mode 755 rather than rely on the checkout keeping the execute bit.
const bin = mkdtempSync(join(tmpdir(), 'npd-clock-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
function executableCopy(name: string): string {
  const dest = join(bin, name);
  copyFileSync(join(npdFixtures, 'bin', `fake-${name}.sh`), dest);
  chmodSync(dest, 0o755);
  return dest;
}
const chronyc = executableCopy('chronyc');
const timedatectl = executableCopy('timedatectl');
const missing = 'no-such-tool-for-npd-test';
const clock = loadMonitors().find((m) => m.file === 'clock-monitor.json');
const maxOutput = clock?.kind === 'custom' ? clock.config.pluginConfig.max_output_length : 80;

function run(env: Record<string, string>): ScriptResult {
  return runScript(script, { CLOCK_CHRONYC: missing, CLOCK_TIMEDATECTL: missing, ...env });
}

const oneLine = (r: ScriptResult): string => expectOneLine(r, maxOutput);

describe('check_clock.sh', () => {
  it('OK (exit 0) when chrony reports a normal leap status', () => {
    const r = run({ CLOCK_CHRONYC: chronyc, FAKE_CHRONY_LEAP: 'Normal' });
    expect(r.status).toBe(0);
    expect(oneLine(r)).toBe('chrony reports the clock is synchronised (Normal)');
  });

  it('ClockNotSynchronized (exit 1) when chrony reports "Not synchronised"', () => {
    const r = run({ CLOCK_CHRONYC: chronyc, FAKE_CHRONY_LEAP: 'Not synchronised' });
    expect(r.status).toBe(1);
    expect(oneLine(r)).toBe('chrony reports the clock is not synchronised');
  });

  it.each([
    ['a trailing space', 'Not synchronised '],
    ['a trailing tab', 'Not synchronised\t'],
    ['a carriage return', 'Not synchronised\r'],
    ['leading blanks', '  Not synchronised'],
  ])('ClockNotSynchronized when "Not synchronised" comes with %s', (_what, leap) => {
    // With the trailing space the leap status used to fall to the catch-all and read as synchronised.
    const r = run({ CLOCK_CHRONYC: chronyc, FAKE_CHRONY_LEAP: leap });
    expect(r.status).toBe(1);
    expect(oneLine(r)).toBe('chrony reports the clock is not synchronised');
  });

  it.each(['Insert second', 'Delete second'])('OK for the leap status "%s"', (leap) => {
    const r = run({ CLOCK_CHRONYC: chronyc, FAKE_CHRONY_LEAP: leap });
    expect(r.status).toBe(0);
    expect(oneLine(r)).toBe(`chrony reports the clock is synchronised (${leap})`);
  });

  it('Unknown, never OK, for a leap status it does not know', () => {
    const r = run({ CLOCK_CHRONYC: chronyc, FAKE_CHRONY_LEAP: 'Unsynchronised (no sources at all)' });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe("Cannot check clock sync: chronyc printed leap status 'Unsynchronised (no s'");
  });

  it('reads "yes " from timedatectl with a trailing blank as yes', () => {
    const r = run({ CLOCK_TIMEDATECTL: timedatectl, FAKE_NTP_SYNCED: 'yes ' });
    expect(r.status).toBe(0);
    expect(oneLine(r)).toBe('systemd reports the clock is synchronised');
  });

  it.each(['CLOCK_CHRONYC', 'CLOCK_TIMEDATECTL'])('Unknown when %s is set but empty', (name) => {
    const r = run({ CLOCK_CHRONYC: chronyc, FAKE_CHRONY_LEAP: 'Normal', [name]: '' });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe(`Bad ${name}: '' (empty)`);
  });

  it('treats a command override that looks like an option as a command name', () => {
    const r = run({ CLOCK_CHRONYC: '-p', CLOCK_TIMEDATECTL: '--help' });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe('Cannot check clock sync: neither chronyc nor timedatectl is available');
  });

  it('prefers chronyc over timedatectl', () => {
    const r = run({ CLOCK_CHRONYC: chronyc, FAKE_CHRONY_LEAP: 'Normal', CLOCK_TIMEDATECTL: timedatectl, FAKE_NTP_SYNCED: 'no' });
    expect(r.status).toBe(0);
  });

  it('falls back to timedatectl when chronyd cannot be reached', () => {
    const r = run({ CLOCK_CHRONYC: chronyc, CLOCK_TIMEDATECTL: timedatectl, FAKE_NTP_SYNCED: 'no' });
    expect(r.status).toBe(1);
    expect(oneLine(r)).toBe('systemd reports the clock is not synchronised');
  });

  it('OK with timedatectl NTPSynchronized=yes', () => {
    const r = run({ CLOCK_TIMEDATECTL: timedatectl, FAKE_NTP_SYNCED: 'yes' });
    expect(r.status).toBe(0);
    expect(oneLine(r)).toBe('systemd reports the clock is synchronised');
  });

  it('Unknown (exit 2) when neither tool is installed, as in the upstream NPD image', () => {
    const r = run({});
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe('Cannot check clock sync: neither chronyc nor timedatectl is available');
  });

  it('Unknown when the tools exist but no daemon answers', () => {
    const r = run({ CLOCK_CHRONYC: chronyc, CLOCK_TIMEDATECTL: timedatectl });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe('Cannot check clock sync: timedatectl cannot reach timedated');
  });

  it('Unknown when timedatectl prints something unexpected', () => {
    const r = run({ CLOCK_TIMEDATECTL: timedatectl, FAKE_NTP_SYNCED: 'maybe' });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe("Cannot check clock sync: timedatectl printed 'maybe'");
  });
});
