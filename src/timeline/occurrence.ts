import { LEVELS, type Level } from '../grade/levels.js';

/**
 * What the timeline keeps of one event line: little enough that 100,000 lines stay small, all
 * that a group's details and footnotes show.
 */
export interface TimelineLine {
  timeMs: number;
  level: Level;
  delta: number;
  reason: string;
  message: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  workloadKind: string;
  workloadName: string;
}

/**
 * One copy of each distinct string: 100,000 lines repeat a few reasons, names and messages, and
 * JSON.parse gives every line copies of its own.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  get(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }
}

const isLevel = (v: unknown): v is Level => typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * One text line as a timeline line, or the reason it is not an event line of docs/event-line.md
 * (only the fields the timeline uses are checked).
 */
export function parseTimelineLine(text: string, pool: StringPool): TimelineLine | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const line = value as Record<string, unknown>;
  if (!isLevel(line.level)) return `level: expected one of ${LEVELS.join(', ')}`;
  const timeMs = typeof line.time === 'string' ? Date.parse(line.time) : NaN;
  if (!Number.isFinite(timeMs)) return 'time: expected an ISO 8601 time';
  if (typeof line.delta !== 'number' || !Number.isInteger(line.delta) || line.delta < 1) return 'delta: expected an integer ≥ 1';
  if (typeof line.reason !== 'string') return 'reason: expected a string';
  const object = line.involvedObject;
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return 'involvedObject: expected an object';
  const io = object as Record<string, unknown>;
  const workload = io.workload !== null && typeof io.workload === 'object' ? (io.workload as Record<string, unknown>) : {};
  return {
    timeMs,
    level: line.level,
    delta: line.delta,
    reason: pool.get(line.reason),
    message: pool.get(str(line.message)),
    cluster: pool.get(str(line.clusterName)),
    namespace: pool.get(str(line.namespace)),
    kind: pool.get(str(io.kind)),
    name: pool.get(str(io.name)),
    workloadKind: pool.get(str(workload.kind)),
    workloadName: pool.get(str(workload.name)),
  };
}
