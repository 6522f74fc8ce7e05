import { setFlagsFromString } from 'node:v8';

/**
 * Patterns written for Go's RE2 run in linear time there; JavaScript's backtracking engine can
 * take hours on one Event with a pattern such as "(a+)+$", stalling the single event loop. This
 * makes V8 move a regular expression that backtracks too much (50,000 times) to its linear-time
 * engine, which gives the same answer. Patterns that engine cannot run (case-insensitive,
 * counted repetition, backreferences, lookaround) keep backtracking: docs/config.md says so.
 *
 * A process-wide V8 flag, so the command sets it once, first thing, before any pattern is
 * compiled (src/cli.ts); code that only compiles patterns (tests, benchmarks) need not.
 */
export function enableLinearTimeRegexpFallback(): void {
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
}
