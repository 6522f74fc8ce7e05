/**
 * The fields a config rule tests with patterns, in one table: what each is called, and how its
 * value is read from an Event (level rules grade the Event before its line exists) and from a
 * line (route rules). The schema declares rule fields from it, grade/ and route/ compile their
 * conditions from it, and check-config describes rules in its order.
 *
 * Meanings as in kubernetes-event-exporter: `namespace` is the Event's own namespace
 * (metadata.namespace), `kind` and `apiVersion` are the involved object's, `component` and
 * `host` come from `source`; `labels` and `annotations` are the (enriched) involved object's.
 */
import { wholeMessage } from '../line/build-line.js';
import type { EventLine, RawEvent } from '../line/event-line.js';

interface PatternField {
  name: string;
  test: 'pattern';
  /** Whether level rules (`levels`) take it too; route rules take every field. */
  inLevelRules: boolean;
  fromEvent(event: RawEvent): string;
  fromLine(line: EventLine): string;
}

/** A map of patterns: every key must exist and its value match (route rules only). */
interface KeyedPatternField {
  name: string;
  test: 'pattern per key';
  fromLine(line: EventLine): Readonly<Record<string, string>> | undefined;
}

export const RULE_FIELDS = [
  // The message before maxMessageBytes cut it, so a pattern for text past the cut still matches.
  { name: 'message', test: 'pattern', inLevelRules: true, fromEvent: (event) => event.message ?? '', fromLine: wholeMessage },
  {
    name: 'apiVersion',
    test: 'pattern',
    inLevelRules: false,
    fromEvent: (event) => event.involvedObject?.apiVersion ?? '',
    fromLine: (line) => line.involvedObject.apiVersion ?? '',
  },
  {
    name: 'kind',
    test: 'pattern',
    inLevelRules: true,
    fromEvent: (event) => event.involvedObject?.kind ?? '',
    fromLine: (line) => line.involvedObject.kind ?? '',
  },
  {
    name: 'namespace',
    test: 'pattern',
    inLevelRules: true,
    fromEvent: (event) => event.metadata.namespace ?? '',
    fromLine: (line) => line.metadata.namespace ?? '',
  },
  { name: 'reason', test: 'pattern', inLevelRules: true, fromEvent: (event) => event.reason ?? '', fromLine: (line) => line.reason },
  { name: 'type', test: 'pattern', inLevelRules: true, fromEvent: (event) => event.type ?? '', fromLine: (line) => line.type },
  {
    name: 'component',
    test: 'pattern',
    inLevelRules: true,
    fromEvent: (event) => event.source?.component ?? '',
    fromLine: (line) => line.source.component ?? '',
  },
  { name: 'host', test: 'pattern', inLevelRules: true, fromEvent: (event) => event.source?.host ?? '', fromLine: (line) => line.source.host ?? '' },
  { name: 'labels', test: 'pattern per key', fromLine: (line) => line.involvedObject.labels },
  { name: 'annotations', test: 'pattern per key', fromLine: (line) => line.involvedObject.annotations },
] as const satisfies ReadonlyArray<PatternField | KeyedPatternField>;

type RuleField = (typeof RULE_FIELDS)[number];
type PatternFieldName = Extract<RuleField, { test: 'pattern' }>['name'];
type LevelRulePatternFieldName = Extract<RuleField, { test: 'pattern'; inLevelRules: true }>['name'];

const patternFields = RULE_FIELDS.filter((field): field is Extract<RuleField, { test: 'pattern' }> => field.test === 'pattern');

export const PATTERN_FIELD_NAMES = patternFields.map((field) => field.name);
export const LEVEL_RULE_PATTERN_FIELD_NAMES = patternFields.filter((field) => field.inLevelRules).map((field) => field.name as LevelRulePatternFieldName);
export const KEYED_PATTERN_FIELDS = RULE_FIELDS.filter((field): field is Extract<RuleField, { test: 'pattern per key' }> => field.test === 'pattern per key');

/** How route rules read each pattern field from a line. */
export const LINE_READERS = Object.fromEntries(patternFields.map((field) => [field.name, field.fromLine])) as Readonly<
  Record<PatternFieldName, (line: EventLine) => string>
>;

/** How level rules read each of their pattern fields from an Event. */
export const EVENT_READERS = Object.fromEntries(patternFields.filter((field) => field.inLevelRules).map((field) => [field.name, field.fromEvent])) as Readonly<
  Record<LevelRulePatternFieldName, (event: RawEvent) => string>
>;
