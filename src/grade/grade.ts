/**
 * Severity grading: the config's `levels` overrides (first matching rule wins), then the built-in
 * reason map, then the Event type (Warning → warning, anything else → normal).
 */
import { allOf, compileFieldConditions } from '../config/rule-conditions.js';
import { EVENT_READERS } from '../config/rule-fields.js';
import type { LevelRuleConfig } from '../config/schema.js';
import type { RawEvent } from '../line/event-line.js';
import { DEFAULT_REASON_LEVELS } from './default-levels.js';
import type { Level } from './levels.js';

// A Map, not the record itself: a reason such as "constructor" must not find Object.prototype.
const DEFAULT_LEVEL_BY_REASON: ReadonlyMap<string, Level> = new Map(Object.entries(DEFAULT_REASON_LEVELS));

export type Grader = (event: RawEvent) => Level;

export function compileGrader(rules: readonly LevelRuleConfig[]): Grader {
  const overrides = rules.map((rule) => ({
    // The fields mean what they mean in route rules (config/rule-fields.ts), read from the Event.
    matches: allOf(compileFieldConditions(rule, EVENT_READERS)),
    level: rule.level,
  }));
  return (event) => {
    for (const override of overrides) if (override.matches(event)) return override.level;
    const byReason = DEFAULT_LEVEL_BY_REASON.get(event.reason ?? '');
    if (byReason !== undefined) return byReason;
    return event.type === 'Warning' ? 'warning' : 'normal';
  };
}
