/**
 * Checks that span several parts of the config: receiver names used by route rules exist, receiver
 * names are unique, and a KEE spelling and its kube-eventline spelling are not both set.
 * It runs even when other fields are invalid (so every problem is listed at once), hence it reads
 * the partly-parsed value defensively.
 */

import { KEE_SPELLINGS } from './kee-compat.js';
import { asArray, asRecord, valueAtPath } from './raw-config.js';

type Path = Array<string | number>;

export interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path: Path }): void;
}

function receiverNames(file: Record<string, unknown>, ctx: IssueSink): string[] {
  const firstIndexByName = new Map<string, number>();
  asArray(file.receivers).forEach((receiver, index) => {
    const name = asRecord(receiver)?.name;
    if (typeof name !== 'string') return;
    const first = firstIndexByName.get(name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['receivers', index, 'name'],
        message: `duplicate receiver name "${name}" (first defined at receivers[${first}])`,
      });
    } else {
      firstIndexByName.set(name, index);
    }
  });
  return [...firstIndexByName.keys()];
}

function checkRouteReceivers(route: unknown, path: Path, known: readonly string[], ctx: IssueSink): void {
  const record = asRecord(route);
  if (!record) return;
  // Receivers on drop rules are ignored, as in KEE (config-warnings.ts warns about them).
  asArray(record.match).forEach((rule, index) => {
    const receiver = asRecord(rule)?.receiver;
    if (typeof receiver !== 'string' || receiver === '' || known.includes(receiver)) return;
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'match', index, 'receiver'],
      message: `unknown receiver "${receiver}" (defined receivers: ${known.join(', ')})`,
    });
  });
  asArray(record.routes).forEach((child, index) => {
    checkRouteReceivers(child, [...path, 'routes', index], known, ctx);
  });
}

export function checkCrossReferences(value: unknown, ctx: IssueSink): void {
  const file = asRecord(value);
  if (!file) return;

  for (const { kee, ours } of KEE_SPELLINGS) {
    if (valueAtPath(file, kee) !== undefined && valueAtPath(file, ours) !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: kee,
        message: `set ${ours.join('.')} or its KEE spelling ${kee.join('.')}, not both`,
      });
    }
  }

  const names = receiverNames(file, ctx);
  // With no receivers at all, an implicit `stdout` receiver exists.
  const known = names.length > 0 ? names : ['stdout'];
  if (file.route === undefined) {
    if (!known.includes('stdout')) {
      ctx.addIssue({
        code: 'custom',
        path: ['receivers'],
        message: `there is no route, so every Event goes to the receiver "stdout", which is not defined (defined receivers: ${known.join(', ')}); add a route or a stdout receiver`,
      });
    }
    return;
  }
  checkRouteReceivers(file.route, ['route'], known, ctx);
}
