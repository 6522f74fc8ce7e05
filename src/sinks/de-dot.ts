import type { EventLine } from '../line/event-line.js';

/**
 * kubernetes-event-exporter's `deDot`: dots in label and annotation keys become underscores,
 * for stores (Elasticsearch) that read dotted keys as paths.
 */
export function deDotLine(line: EventLine): EventLine {
  const { labels, annotations } = line.involvedObject;
  if (!labels && !annotations) return line;
  return {
    ...line,
    involvedObject: {
      ...line.involvedObject,
      ...(labels ? { labels: deDotKeys(labels) } : {}),
      ...(annotations ? { annotations: deDotKeys(annotations) } : {}),
    },
  };
}

function deDotKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.replaceAll('.', '_'), v]));
}
