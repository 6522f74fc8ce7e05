/**
 * A KEE `layout`: a map (nested maps and lists allowed) whose string values are templates,
 * rendered per line into the JSON body. Every template is compiled when the config is loaded.
 * Values are placed in the body as JSON strings, so whatever an Event says stays text.
 */
import type { EventLine } from '../../line/event-line.js';
import { compileTemplate, TemplateError } from './kee-template.js';

export type CompiledLayout = (line: EventLine) => unknown;

export interface LayoutProblem {
  path: Array<string | number>;
  message: string;
}

function compileValue(value: unknown, path: Array<string | number>, problems: LayoutProblem[]): CompiledLayout {
  if (typeof value === 'string') {
    try {
      return compileTemplate(value);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      problems.push({ path, message: `template: ${err.message}` });
      return () => '';
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((item, index) => compileValue(item, [...path, index], problems));
    return (line) => items.map((item) => item(line));
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([key, child]) => [key, compileValue(child, [...path, key], problems)] as const);
    return (line) => Object.fromEntries(entries.map(([key, child]) => [key, child(line)]));
  }
  // numbers, booleans: sent as written
  return () => value;
}

/** Compiles a layout; `problems` lists every template that does not compile, with its path inside the layout. */
export function compileLayout(layout: Record<string, unknown>): { render: CompiledLayout; problems: LayoutProblem[] } {
  const problems: LayoutProblem[] = [];
  const render = compileValue(layout, [], problems);
  return { render, problems };
}
