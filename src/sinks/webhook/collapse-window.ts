/**
 * Collapse repeats: the first line of a (reason, object) goes out at once and opens a window;
 * repeats inside it are held back and counted, and at the window's end one summary goes out
 * (the newest repeat, standing for all of them) and the next window opens. A window with no
 * repeats closes. A crash loop is so one message a window, however often it backs off.
 *
 * All windows have the same length, so they end in the order they opened: one timer, for the
 * oldest. At most `maxKeys` windows are open; past that a new key is sent without a window.
 */
import type { EventLine } from '../../line/event-line.js';
import type { Notice } from './notice.js';

interface Window {
  endsAt: number;
  /** time of the first line the window covers */
  since: string;
  held: number;
  newest?: EventLine;
}

export interface CollapseOptions {
  windowMs: number;
  maxKeys?: number;
  now?: () => number;
}

function collapseKey(line: EventLine): string {
  const o = line.involvedObject;
  return `${line.reason}\u0000${o.kind ?? ''}\u0000${o.namespace ?? ''}\u0000${o.name ?? ''}\u0000${o.uid ?? ''}`;
}

export class CollapseWindow {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(
    private readonly options: CollapseOptions,
    private readonly send: (notice: Notice) => void,
    /** occurrences held back, for the metric */
    private readonly onHeld: (occurrences: number) => void = () => {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  offer(line: EventLine): void {
    if (this.options.windowMs <= 0) {
      this.send({ line });
      return;
    }
    const key = collapseKey(line);
    const open = this.windows.get(key);
    if (open) {
      open.held += line.delta;
      open.newest = line;
      this.onHeld(line.delta);
      return;
    }
    if (this.windows.size < this.maxKeys) {
      this.windows.set(key, { endsAt: this.now() + this.options.windowMs, since: line.time, held: 0 });
      this.arm();
    }
    this.send({ line });
  }

  /** Sends every held summary now (at stop) and closes all windows. */
  drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const window of this.windows.values()) this.summarise(window);
    this.windows.clear();
  }

  get openWindows(): number {
    return this.windows.size;
  }

  private summarise(window: Window): void {
    if (window.newest && window.held > 0) this.send({ line: window.newest, repeat: { occurrences: window.held, since: window.since } });
  }

  private arm(): void {
    if (this.timer) return;
    const first = this.windows.values().next().value;
    if (!first) return;
    this.timer = setTimeout(() => this.expire(), Math.max(0, first.endsAt - this.now()));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const t = this.now();
    for (const [key, window] of this.windows) {
      if (window.endsAt > t) break;
      this.windows.delete(key);
      if (window.held > 0) {
        this.summarise(window);
        // still repeating: the next window opens now, after the summary
        this.windows.set(key, { endsAt: t + this.options.windowMs, since: window.newest!.time, held: 0 });
      }
    }
    this.arm();
  }
}
