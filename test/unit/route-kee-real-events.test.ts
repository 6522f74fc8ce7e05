import { describe, expect, test } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { compileGrader } from '../../src/grade/grade.js';
import { buildLine } from '../../src/line/build-line.js';
import type { RawEvent } from '../../src/line/event-line.js';
import { compileRoute, routeLine } from '../../src/route/compile-route.js';
import { realEvents } from '../support/real-events.js';

const events: RawEvent[] = realEvents();

/**
 * What kubernetes-event-exporter does with test/fixtures/configs/kee/stdout-drop-kube-system.yaml,
 * written out by hand from route.go/rule.go: unanchored literal patterns are substring tests,
 * `namespace` is the Event's own namespace.
 */
function keeReceivers(event: RawEvent): string[] {
  const receivers: string[] = [];
  const namespace = event.metadata.namespace ?? '';
  const type = event.type ?? '';
  const reason = event.reason ?? '';
  // routes[0]: drop kube-system, drop Normal+Pulled, then Warning → dump
  const dropped = namespace.includes('kube-system') || (type.includes('Normal') && reason.includes('Pulled'));
  if (!dropped && type.includes('Warning')) receivers.push('dump');
  // routes[1]: Node → nodes
  if ((event.involvedObject?.kind ?? '').includes('Node')) receivers.push('nodes');
  return receivers;
}

describe('a KEE config routes real Events as KEE would', () => {
  const { config } = loadConfigFile('test/fixtures/configs/kee/stdout-drop-kube-system.yaml', {});
  const grade = compileGrader(config.levels);
  const compiled = compileRoute(
    config.route,
    config.receivers.map((receiver) => receiver.name),
  );
  const context = { clusterName: config.clusterName, maxMessageBytes: 1_000_000 };
  const routed = events.map((event) => ({
    event,
    actual: routeLine(compiled, buildLine(event, grade(event), 1, context)),
    expected: keeReceivers(event),
  }));

  test('the corpus exercises every branch: dropped, sent to dump, sent to nodes, sent nowhere', () => {
    expect(events.length).toBe(302);
    const kubeSystemWarnings = events.filter((e) => e.metadata.namespace === 'kube-system' && e.type === 'Warning');
    expect(kubeSystemWarnings.length).toBeGreaterThan(0);
    expect(routed.filter((r) => r.expected.includes('dump')).length).toBeGreaterThan(10);
    expect(routed.filter((r) => r.expected.includes('nodes')).length).toBeGreaterThan(10);
    expect(routed.filter((r) => r.expected.length === 0).length).toBeGreaterThan(10);
  });

  test('every Event reaches exactly the receivers KEE would send it to', () => {
    const mismatches = routed
      .filter((r) => JSON.stringify(r.actual) !== JSON.stringify(r.expected))
      .map((r) => ({ name: r.event.metadata.name, actual: r.actual, expected: r.expected }));
    expect(mismatches).toEqual([]);
  });

  test('Node Events are filed under "default", so a namespace rule for default catches them (KEE semantics)', () => {
    const nodeEvents = events.filter((e) => e.involvedObject?.kind === 'Node');
    expect(nodeEvents.length).toBeGreaterThan(0);
    expect(nodeEvents.every((e) => e.metadata.namespace === 'default' && !e.involvedObject?.namespace)).toBe(true);
  });
});
