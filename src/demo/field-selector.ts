import { ApiStatusError, badRequest } from './api-status.js';
import type { ApiObject } from './object-store.js';

export type ObjectPredicate = (object: ApiObject) => boolean;

/**
 * `fieldSelector` as the API server reads it: comma-separated `path=value`, `path==value` or
 * `path!=value` terms over dotted field paths (`involvedObject.kind=Pod,type!=Normal`), all ANDed.
 * A missing field compares as the empty string, as on a real server.
 */
export function parseFieldSelector(selector: string | null): ObjectPredicate {
  if (!selector) return () => true;
  const terms = selector.split(',').map((term) => {
    const match = /^([A-Za-z0-9_.]+)\s*(!=|==|=)\s*(.*)$/.exec(term.trim());
    if (!match) throw new ApiStatusError(badRequest(`invalid field selector term: "${term}"`));
    const [, path, operator, value] = match as unknown as [string, string, string, string];
    return { path: path.split('.'), negated: operator === '!=', value };
  });
  return (object) =>
    terms.every(({ path, negated, value }) => (fieldText(object, path) === value) !== negated);
}

function fieldText(object: ApiObject, path: string[]): string {
  let current: unknown = object;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[segment];
  }
  return current === undefined || current === null ? '' : String(current);
}
