/**
 * Between config paths (`route.routes[1].drop[0]`) and places in the parsed YAML document,
 * so every problem can say where in the file it is.
 */
import { type Document, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';

export type ConfigPath = ReadonlyArray<string | number | symbol>;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `route.routes[1].drop[0].namespace`; keys that are not identifiers are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

/**
 * The offset to report for a path: the value's start, or the key's start when `atKey` is set
 * (for unknown fields). When the path does not exist (a missing field), the deepest existing node.
 */
export function offsetOfPath(doc: Document, path: ConfigPath, atKey = false): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = (node as Node | null)?.range?.[0];
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (!pair) return best;
      const keyStart = (pair.key as Node | null)?.range?.[0];
      const value = pair.value as Node | null;
      if (last && atKey) return keyStart ?? best;
      best = value?.range?.[0] ?? keyStart ?? best;
      node = value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return best;
      best = item.range?.[0] ?? best;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

/** The config path of the field an offset lies in (for problems found in the text, such as `${VAR}`). */
export function pathAtOffset(doc: Document, offset: number): Array<string | number> {
  const path: Array<string | number> = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      // A pair reaches up to the next key, so an empty value (`key: ${UNSET}`) still belongs to it.
      const items = node.items;
      const index = items.findIndex((pair, i) => {
        const start = (pair.key as Node | null)?.range?.[0] ?? -1;
        const next = items[i + 1];
        const stop = next && isPair(next) ? ((next.key as Node | null)?.range?.[0] ?? Infinity) : Infinity;
        return offset >= start && offset < stop;
      });
      const pair = items[index];
      if (!pair) return path;
      path.push(keyText(pair.key) ?? '?');
      node = pair.value;
    } else if (isSeq(node)) {
      const items = node.items as Array<Node | null>;
      const index = items.findIndex((item, i) => {
        const start = item?.range?.[0] ?? -1;
        const stop = items[i + 1]?.range?.[0] ?? Infinity;
        return offset >= start && offset < stop;
      });
      if (index === -1) return path;
      path.push(index);
      node = items[index];
    } else {
      return path;
    }
  }
}
