/**
 * "Did you mean" for unknown fields: every field name the schema knows, so a misspelt
 * `minlevel` or `clustername` can be answered with the right spelling.
 */
import type { z } from 'zod';

function collectFieldNames(schema: unknown, names: Set<string>, seen: Set<unknown>): void {
  if (typeof schema !== 'object' || schema === null || seen.has(schema)) return;
  seen.add(schema);
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) return;
  const shape = def.shape as Record<string, unknown> | undefined;
  if (shape) {
    for (const key of Object.keys(shape)) {
      names.add(key);
      collectFieldNames(shape[key], names, seen);
    }
  }
  // Wrappers: optional/default (innerType), array (element), pipe/preprocess (in, out), record (valueType).
  for (const key of ['innerType', 'element', 'in', 'out', 'valueType']) collectFieldNames(def[key], names, seen);
}

export function fieldSuggester(schema: z.ZodType): (unknownField: string) => string | undefined {
  const names = new Set<string>();
  collectFieldNames(schema, names, new Set());
  const byLowerCase = new Map([...names].map((name) => [name.toLowerCase().replace(/[-_]/g, ''), name]));
  return (unknownField) => byLowerCase.get(unknownField.toLowerCase().replace(/[-_]/g, ''));
}
