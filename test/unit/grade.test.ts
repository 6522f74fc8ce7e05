import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_REASON_LEVELS } from '../../src/grade/default-levels.js';
import { compileGrader } from '../../src/grade/grade.js';
import type { RawEvent } from '../../src/line/event-line.js';

function event(fields: Partial<RawEvent> & { namespace?: string }): RawEvent {
  const { namespace, ...rest } = fields;
  return { metadata: { name: 'e', namespace: namespace ?? 'shop' }, ...rest };
}

function levelRules(yaml: string) {
  return loadConfig(yaml, 'levels.yaml', {}).config.levels;
}

describe('built-in grading', () => {
  const grade = compileGrader([]);

  test.each(Object.entries(DEFAULT_REASON_LEVELS))('reason %s has its built-in level %s whatever the type', (reason, level) => {
    expect(grade(event({ reason, type: 'Normal' }))).toBe(level);
    expect(grade(event({ reason, type: 'Warning' }))).toBe(level);
  });

  test.each([
    ['Scheduled', 'Normal', 'info'],
    ['SuccessfulCreate', 'Normal', 'normal'],
    ['BackOff', 'Warning', 'warning'],
    ['OOMKilling', 'Warning', 'error'],
    ['FailedMount', 'Warning', 'error'],
    ['NodeNotReady', 'Normal', 'error'],
    ['KernelOops', 'Warning', 'fatal'],
  ])('a troubleshooter would grade %s (%s) as %s', (reason, type, level) => {
    expect(grade(event({ reason, type }))).toBe(level);
  });

  test('an unknown reason falls back on the type: Warning → warning, Normal → normal', () => {
    expect(grade(event({ reason: 'SomethingNew', type: 'Warning' }))).toBe('warning');
    expect(grade(event({ reason: 'SomethingNew', type: 'Normal' }))).toBe('normal');
    expect(grade(event({}))).toBe('normal');
  });

  test('a reason named like an Object.prototype member is just an unknown reason', () => {
    expect(grade(event({ reason: 'constructor', type: 'Warning' }))).toBe('warning');
    expect(grade(event({ reason: 'toString', type: 'Normal' }))).toBe('normal');
  });
});

describe('level overrides from the config', () => {
  test('the first matching rule wins over later rules and the built-in map', () => {
    const grade = compileGrader(
      levelRules(`levels:
  - { reason: "^BackOff$", namespace: "^batch-", level: info }
  - { reason: "BackOff", level: fatal }
  - { message: "(?i)disk pressure", level: error }
`),
    );
    expect(grade(event({ reason: 'BackOff', type: 'Warning', namespace: 'batch-jobs' }))).toBe('info');
    expect(grade(event({ reason: 'BackOff', type: 'Warning', namespace: 'shop' }))).toBe('fatal');
    expect(grade(event({ reason: 'NodeHasDiskPressure', type: 'Normal', message: 'node has Disk Pressure' }))).toBe('error');
    expect(grade(event({ reason: 'Pulled', type: 'Normal', message: 'pulled image' }))).toBe('info');
  });

  test('patterns are unanchored: "Fail" matches FailedMount and FailedScheduling', () => {
    const grade = compileGrader(levelRules('levels: [{ reason: Fail, level: fatal }]'));
    expect(grade(event({ reason: 'FailedMount', type: 'Warning' }))).toBe('fatal');
    expect(grade(event({ reason: 'FailedScheduling', type: 'Warning' }))).toBe('fatal');
    expect(grade(event({ reason: 'BackOff', type: 'Warning' }))).toBe('warning');
  });

  test('kind, component, host and type read the involved object and source', () => {
    const grade = compileGrader(
      levelRules(`levels:
  - { kind: "^Node$", component: "^kernel-monitor$", level: fatal }
  - { host: "^gpu-", type: "^Warning$", level: error }
`),
    );
    const nodeEvent = { involvedObject: { kind: 'Node' }, source: { component: 'kernel-monitor' }, reason: 'X' };
    expect(grade(event(nodeEvent))).toBe('fatal');
    expect(grade(event({ ...nodeEvent, source: { component: 'kubelet' } }))).toBe('normal');
    expect(grade(event({ reason: 'X', type: 'Warning', source: { host: 'gpu-7' } }))).toBe('error');
    expect(grade(event({ reason: 'X', type: 'Normal', source: { host: 'gpu-7' } }))).toBe('normal');
  });

  test('namespace matches the Event’s own namespace, as in KEE: Node events live in "default"', () => {
    const grade = compileGrader(levelRules('levels: [{ namespace: "^default$", level: info }]'));
    const nodeEvent: RawEvent = {
      metadata: { name: 'n.1', namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'n' },
      reason: 'NodeNotReady',
      type: 'Normal',
    };
    expect(grade(nodeEvent)).toBe('info');
  });

  test('a rule with only a level matches every Event', () => {
    const grade = compileGrader(levelRules('levels: [{ level: warning }]'));
    expect(grade(event({ reason: 'Scheduled', type: 'Normal' }))).toBe('warning');
  });
});
