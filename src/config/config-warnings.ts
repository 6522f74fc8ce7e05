/**
 * Things a config may say that load fine but deserve a word on stderr: kubernetes-event-exporter
 * (KEE) settings kube-eventline accepts and does not act on, and routes that send nothing.
 */
import type { Config, RouteConfig } from './schema.js';

export interface ConfigWarning {
  path: Array<string | number>;
  message: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const SENT_UPDATE_EVENT_NOTE =
  'accepted for KEE compatibility and not used: kube-eventline writes a line for every new occurrence, count updates included';

const KEE_LOG_LEVELS: Readonly<Record<string, string>> = { trace: 'debug', fatal: 'error', panic: 'error' };

/** Warnings about KEE spellings in the file as written. */
function keeWarnings(file: Record<string, unknown>): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (file.kubeconfig !== undefined) {
    warnings.push({
      path: ['kubeconfig'],
      message:
        'accepted for KEE compatibility and not used: kube-eventline uses the in-cluster service account, or $KUBECONFIG outside a cluster',
    });
  }
  if (file.throttlePeriod !== undefined) {
    warnings.push({ path: ['throttlePeriod'], message: 'deprecated KEE spelling, used as maxEventAgeSeconds' });
  }
  const logLevel = file.logLevel;
  if (typeof logLevel === 'string' && KEE_LOG_LEVELS[logLevel] !== undefined) {
    warnings.push({ path: ['logLevel'], message: `KEE log level "${logLevel}" is treated as "${KEE_LOG_LEVELS[logLevel]}"` });
  }
  const receivers = Array.isArray(file.receivers) ? file.receivers : [];
  receivers.forEach((receiver, index) => {
    for (const type of ['stdout', 'file'] as const) {
      const options = asRecord(asRecord(receiver)?.[type]);
      if (options?.sentUpdateEvent !== undefined) {
        warnings.push({ path: ['receivers', index, type, 'sentUpdateEvent'], message: SENT_UPDATE_EVENT_NOTE });
      }
    }
    const file = asRecord(asRecord(receiver)?.file);
    if (file?.maxage !== undefined) {
      warnings.push({
        path: ['receivers', index, 'file', 'maxage'],
        message: 'accepted for KEE compatibility and not used: rotated files are limited by count (maxFiles), not age',
      });
    }
  });
  return warnings;
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
    route.routes.forEach((child, index) => visit(child, [...path, 'routes', index]));
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

export function configWarnings(file: Record<string, unknown>, config: Config): ConfigWarning[] {
  return [...keeWarnings(file), ...routeWarnings(config, file.route !== undefined)];
}
