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
  /**
   * Tells `listener` of each line once it reached the operating system, for receivers that know
   * (stdout, file): their lines are counted then, not when taken. Others are counted when taken.
   */
  onLineWritten?(listener: (line: EventLine) => void): void;
  /** Whether writes wait for the destination to drain (the gauge receiver_waiting). */
  waiting?(): boolean;
}
