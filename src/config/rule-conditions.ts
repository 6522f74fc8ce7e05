/**
 * Turns the pattern fields of a rule (route rule or level rule) into one predicate, for any record
 * type, given how to read each field from it. Conditions are ANDed; an empty or absent pattern is
 * no condition (KEE semantics), so a rule without conditions matches everything.
 */
import { compilePattern } from './pattern.js';

export type FieldReaders<Field extends string, Subject> = Readonly<Record<Field, (subject: Subject) => string>>;

export type Predicate<Subject> = (subject: Subject) => boolean;

export function compileFieldConditions<Field extends string, Subject>(
  patterns: Partial<Record<Field, string | undefined>>,
  readers: FieldReaders<Field, Subject>,
): Array<Predicate<Subject>> {
  const conditions: Array<Predicate<Subject>> = [];
  for (const field of Object.keys(readers) as Field[]) {
    const source = patterns[field];
    if (source === undefined || source === '') continue;
    const expression = compilePattern(source);
    const read = readers[field];
    conditions.push((subject) => expression.test(read(subject)));
  }
  return conditions;
}

/** All conditions hold. A plain loop: this runs for every Event. */
export function allOf<Subject>(conditions: ReadonlyArray<Predicate<Subject>>): Predicate<Subject> {
  if (conditions.length === 0) return () => true;
  if (conditions.length === 1) return conditions[0] as Predicate<Subject>;
  return (subject) => {
    for (const condition of conditions) if (!condition(subject)) return false;
    return true;
  };
}
