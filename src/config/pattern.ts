/**
 * The pattern language of config rules: Go's regular expressions (RE2), which is what
 * kubernetes-event-exporter users write, run by re2js (a pure JavaScript port of RE2). Every
 * match runs in time linear in the text, so no message a tenant writes can stall the event loop,
 * and a pattern means what it means in KEE: RE2's syntax is taken as it is, and what RE2 refuses
 * (backreferences, lookaround, `\C`, repeat counts over 1000) is refused with RE2's reason.
 */
import { RE2JS, RE2JSException } from 're2js';

/** A pattern that cannot be compiled; `reason` is the part after `invalid regular expression "…": `. */
export class PatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'PatternError';
  }
}

/** A compiled pattern: does it match anywhere in the text (unanchored, as in KEE)? */
export interface CompiledPattern {
  test(text: string): boolean;
}

// Go's own wording starts every reason with this; the message already says it is a pattern problem.
const GO_ERROR_PREFIX = 'error parsing regexp: ';

/** Compiles a config pattern, throwing PatternError with RE2's reason. */
export function compilePattern(pattern: string): CompiledPattern {
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    const reason = error.message.startsWith(GO_ERROR_PREFIX) ? error.message.slice(GO_ERROR_PREFIX.length) : error.message;
    throw new PatternError(pattern, reason);
  }
}

/** The problem with a pattern, or undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof PatternError) return error.message;
    throw error;
  }
}
