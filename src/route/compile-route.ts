/**
 * Routing with kubernetes-event-exporter's semantics (pkg/exporter/route.go, rule.go), compiled
 * once at start so routing a line is a walk over precompiled predicates:
 * - any matching `drop` rule skips the route and all its children;
 * - every matching `match` rule sends to its receiver (if it names one);
 * - child `routes` run only when every match rule of the route matched (none = all matched);
 * - siblings are all evaluated.
 * Unlike KEE, a line reaches each receiver at most once (see docs/config.md).
 */
import { allOf, compileFieldConditions, type Predicate } from '../config/rule-conditions.js';
import { KEYED_PATTERN_FIELDS, LINE_READERS } from '../config/rule-fields.js';
import type { RouteConfig, RouteRuleConfig } from '../config/schema.js';
import { formatPath } from '../config/yaml-paths.js';
import { levelRank } from '../grade/levels.js';
import type { EventLine } from '../line/event-line.js';

/** A rule of the config, for metrics and `check-config`: where it is and where it sends. */
export interface RouteRuleInfo {
  /** config path, e.g. `route.routes[0].match[1]` */
  path: string;
  kind: 'drop' | 'match';
  receiver?: string;
}

interface CompiledRule {
  id: number;
  receiver: string | undefined;
  matches: Predicate<EventLine>;
}

interface CompiledRouteNode {
  drop: CompiledRule[];
  match: CompiledRule[];
  routes: CompiledRouteNode[];
}

export interface CompiledRoute {
  readonly root: CompiledRouteNode;
  /** every rule, indexed by rule id */
  readonly rules: readonly RouteRuleInfo[];
  /** how many lines each rule matched, indexed like `rules`; routeLine increments these */
  readonly ruleHits: number[];
}

/** labels/annotations: every key must exist on the (enriched) involved object and its value match. */
function keyedConditions(
  patterns: Record<string, string> | undefined,
  read: (line: EventLine) => Readonly<Record<string, string>> | undefined,
): Array<Predicate<EventLine>> {
  if (patterns === undefined) return [];
  return Object.entries(patterns).map(([key, source]) => {
    const valueMatches = allOf(compileFieldConditions({ value: source }, { value: (value: string) => value }));
    return (line: EventLine) => {
      const values = read(line);
      if (values === undefined || !Object.hasOwn(values, key)) return false;
      return valueMatches(values[key] as string);
    };
  });
}

function compileRuleConditions(rule: RouteRuleConfig): Predicate<EventLine> {
  const conditions = compileFieldConditions(rule, LINE_READERS);
  for (const field of KEYED_PATTERN_FIELDS) conditions.push(...keyedConditions(rule[field.name], field.fromLine));
  const minCount = rule.minCount;
  if (minCount !== undefined && minCount > 0) conditions.push((line) => line.count >= minCount);
  if (rule.minLevel !== undefined) {
    const minRank = levelRank(rule.minLevel);
    conditions.push((line) => levelRank(line.level) >= minRank);
  }
  return allOf(conditions);
}

export function compileRoute(route: RouteConfig, receivers: readonly string[]): CompiledRoute {
  const rules: RouteRuleInfo[] = [];
  const compileNode = (node: RouteConfig, path: Array<string | number>): CompiledRouteNode => {
    const compileRules = (kind: 'drop' | 'match') =>
      node[kind].map((rule, index): CompiledRule => {
        const rulePath = formatPath([...path, kind, index]);
        // Drop rules never send (KEE ignores a receiver there too).
        const receiver = kind === 'match' && rule.receiver ? rule.receiver : undefined;
        if (receiver !== undefined && !receivers.includes(receiver)) {
          throw new Error(`${rulePath}.receiver: unknown receiver "${receiver}"`);
        }
        rules.push({ path: rulePath, kind, ...(receiver !== undefined ? { receiver } : {}) });
        return { id: rules.length - 1, receiver, matches: compileRuleConditions(rule) };
      });
    return {
      drop: compileRules('drop'),
      match: compileRules('match'),
      routes: node.routes.map((child, index) => compileNode(child, [...path, 'routes', index])),
    };
  };
  const root = compileNode(route, ['route']);
  return { root, rules, ruleHits: rules.map(() => 0) };
}

function visit(node: CompiledRouteNode, line: EventLine, hits: number[], out: string[]): void {
  for (const rule of node.drop) {
    if (rule.matches(line)) {
      hits[rule.id] = (hits[rule.id] ?? 0) + 1;
      return;
    }
  }
  let everyMatchMatched = true;
  for (const rule of node.match) {
    if (rule.matches(line)) {
      hits[rule.id] = (hits[rule.id] ?? 0) + 1;
      if (rule.receiver !== undefined && !out.includes(rule.receiver)) out.push(rule.receiver);
    } else {
      everyMatchMatched = false;
    }
  }
  if (!everyMatchMatched) return;
  for (const child of node.routes) visit(child, line, hits, out);
}

/** The distinct receivers a line goes to, in the order they were first matched. */
export function routeLine(route: CompiledRoute, line: EventLine): string[] {
  const out: string[] = [];
  visit(route.root, line, route.ruleHits, out);
  return out;
}
