/**
 * A readable summary of a loaded config for `kube-eventline check-config`: receivers, severity
 * overrides, and the route tree with what each rule tests and where it sends.
 */
import { RULE_FIELDS } from '../config/rule-fields.js';
import type { Config, LevelRuleConfig, RouteConfig, RouteRuleConfig } from '../config/schema.js';

function describeConditions(rule: RouteRuleConfig | LevelRuleConfig): string {
  const parts: string[] = [];
  const values = rule as Partial<Record<(typeof RULE_FIELDS)[number]['name'], string | Record<string, string>>>;
  for (const { name, test } of RULE_FIELDS) {
    const value = values[name];
    if (!value) continue;
    if (test === 'pattern') parts.push(`${name} =~ ${JSON.stringify(value)}`);
    else for (const [key, pattern] of Object.entries(value)) parts.push(`${name}[${JSON.stringify(key)}] =~ ${JSON.stringify(pattern)}`);
  }
  if ('minCount' in rule && rule.minCount) parts.push(`count >= ${rule.minCount}`);
  if ('minLevel' in rule && rule.minLevel) parts.push(`level >= ${rule.minLevel}`);
  return parts.length > 0 ? parts.join(' and ') : 'every Event';
}

function describeRouteNode(route: RouteConfig, indent: string, lines: string[]): void {
  route.drop.forEach((rule, index) => {
    lines.push(`${indent}drop[${index}]: ${describeConditions(rule)} → dropped here and below`);
  });
  route.match.forEach((rule, index) => {
    const name = rule.name ? ` (${rule.name})` : '';
    const target = rule.receiver ? `→ ${rule.receiver}` : '→ (no receiver: only gates the child routes)';
    lines.push(`${indent}match[${index}]${name}: ${describeConditions(rule)} ${target}`);
  });
  route.routes.forEach((child, index) => {
    const gate = route.match.length > 0 ? ' (only when every match above matched)' : '';
    lines.push(`${indent}routes[${index}]${gate}:`);
    describeRouteNode(child, `${indent}  `, lines);
  });
  if (route.drop.length + route.match.length + route.routes.length === 0) lines.push(`${indent}(empty: sends nothing)`);
}

export function describeRoute(config: Config): string {
  const lines: string[] = ['receivers:'];
  for (const receiver of config.receivers) {
    if (receiver.type === 'webhook') {
      // never the endpoint or headers: they may hold tokens
      const body = receiver.preset ? `preset ${receiver.preset}` : receiver.layout ? 'KEE layout' : 'the event line';
      const collapse = receiver.collapseSeconds > 0 ? `repeats collapsed over ${receiver.collapseSeconds}s` : 'no collapsing';
      lines.push(
        `  ${receiver.name}: webhook, ${body}, queue ${receiver.queueSize}, ${receiver.rateLimit.perMinute}/min (burst ${receiver.rateLimit.burst}), ${collapse}`,
      );
      continue;
    }
    const deDot = receiver.deDot ? ', deDot' : '';
    if (receiver.type === 'file') {
      lines.push(`  ${receiver.name}: file ${receiver.path} (rotate at ${receiver.maxBytes} bytes, keep ${receiver.maxFiles} rotated${deDot})`);
    } else {
      lines.push(`  ${receiver.name}: stdout${deDot ? ' (deDot)' : ''}`);
    }
  }
  lines.push('levels (first matching rule wins, then built-in reasons, then Warning → warning, else normal):');
  if (config.levels.length === 0) lines.push('  (no overrides)');
  config.levels.forEach((rule, index) => {
    lines.push(`  levels[${index}]: ${describeConditions(rule)} → ${rule.level}`);
  });
  lines.push('route (patterns are unanchored regular expressions):');
  describeRouteNode(config.route, '  ', lines);
  return lines.join('\n');
}
