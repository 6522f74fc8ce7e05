/**
 * The config as YAML parsed it, before validation: anything may be anywhere, so it is read
 * defensively. For checks that run beside the schema (cross-references, warnings) and for
 * describing what a wrong value was.
 */
import type { ConfigPath } from './yaml-paths.js';

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value at `path` (keys and list indexes), or undefined where the path leads nowhere. */
export function valueAtPath(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}
