import type { EventLine } from '../line/event-line.js';

/** A receiver's writer. `write` may ask the caller to wait (backpressure) by returning a Promise. */
export interface Sink {
  readonly name: string;
  write(line: EventLine): void | Promise<void>;
  /** Resolves once everything accepted so far has reached the operating system. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Why the receiver can never write again (its reader went away), if so: the process is then no longer alive. */
  brokenBy?(): Error | undefined;
}
