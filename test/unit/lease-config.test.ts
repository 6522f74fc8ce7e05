import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

describe('leaderElection timings', () => {
  test("default to client-go's: 15 s lease, 10 s renew deadline, 2 s retry", () => {
    const { config } = loadConfig('leaderElection: {enabled: true}\n', 'c.yaml', {});
    expect(config.leaderElection).toMatchObject({ leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 });
  });

  test('are read from the file', () => {
    const { config } = loadConfig(
      'leaderElection:\n  enabled: true\n  leaseDurationSeconds: 30\n  renewDeadlineSeconds: 20\n  retryPeriodSeconds: 0.5\n',
      'c.yaml',
      {},
    );
    expect(config.leaderElection).toMatchObject({ leaseDurationSeconds: 30, renewDeadlineSeconds: 20, retryPeriodSeconds: 0.5 });
  });

  test('a renew deadline not shorter than the lease is refused at its place', () => {
    const yaml = 'leaderElection:\n  enabled: true\n  leaseDurationSeconds: 10\n  renewDeadlineSeconds: 10\n';
    expect(() => loadConfig(yaml, 'c.yaml', {})).toThrow(/c\.yaml:4:\d+: leaderElection\.renewDeadlineSeconds: must be less than leaseDurationSeconds \(10\)/);
  });

  test('a retry period not shorter than the renew deadline is refused at its place', () => {
    const yaml = 'leaderElection:\n  enabled: true\n  retryPeriodSeconds: 12\n';
    expect(() => loadConfig(yaml, 'c.yaml', {})).toThrow(/c\.yaml:3:\d+: leaderElection\.retryPeriodSeconds: must be less than renewDeadlineSeconds \(10\)/);
  });

  test('zero, negative and absurd timings are refused', () => {
    expect(() => loadConfig('leaderElection: {leaseDurationSeconds: 0}\n', 'c.yaml', {})).toThrow(/c\.yaml:1:\d+: leaderElection\.leaseDurationSeconds:/);
    expect(() => loadConfig('leaderElection: {retryPeriodSeconds: -1}\n', 'c.yaml', {})).toThrow(/leaderElection\.retryPeriodSeconds:/);
    expect(() => loadConfig('leaderElection: {leaseDurationSeconds: 1e9}\n', 'c.yaml', {})).toThrow(/leaderElection\.leaseDurationSeconds:/);
  });
});
