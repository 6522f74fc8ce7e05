/**
 * Things a config may say that load fine but deserve a word on stderr: kubernetes-event-exporter
 * (KEE) settings kube-eventline accepts and does not act on, and routes that send nothing.
 */
import { inlineSecretWarnings } from '../sinks/webhook/inline-secrets.js';
import { keeWarnings } from './kee-compat.js';
import type { Config, RouteConfig } from './schema.js';

export interface ConfigWarning {
  path: Array<string | number>;
  message: string;
}

/** Warnings about the route of the loaded config: ignored receivers on drop rules, unused receivers. */
function routeWarnings(config: Config, routeWritten: boolean): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const used = new Set<string>();
  const visit = (route: RouteConfig, path: Array<string | number>): void => {
    route.drop.forEach((rule, index) => {
      if (rule.receiver) {
        warnings.push({
          path: [...path, 'drop', index, 'receiver'],
          message: 'ignored, as in KEE: a drop rule does not send anywhere; move the receiver to a match rule',
        });
      }
    });
    for (const rule of route.match) if (rule.receiver) used.add(rule.receiver);
    route.routes.forEach((child, index) => {
      visit(child, [...path, 'routes', index]);
    });
  };
  visit(config.route, ['route']);
  if (routeWritten && used.size === 0) {
    warnings.push({ path: ['route'], message: 'no match rule names a receiver, so no Event is written anywhere' });
  }
  config.receivers.forEach((receiver, index) => {
    if (!used.has(receiver.name)) {
      warnings.push({ path: ['receivers', index, 'name'], message: `receiver "${receiver.name}" is not used by any route` });
    }
  });
  return warnings;
}

/** `fromVariable(path)`: whether the value at path was written with a `${VAR}` reference (for secrets). */
export function configWarnings(
  file: Record<string, unknown>,
  config: Config,
  fromVariable: (path: Array<string | number>) => boolean = () => false,
): ConfigWarning[] {
  return [...keeWarnings(file), ...routeWarnings(config, file.route !== undefined), ...inlineSecretWarnings(file, fromVariable)];
}
