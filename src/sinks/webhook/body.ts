/** The request body of one notice: a preset's format, a KEE layout, or the event line itself. */
import { compileLayout } from './layout.js';
import { type Notice, noticeLine } from './notice.js';
import type { Preset } from './preset.js';

export type BodyBuilder = (notice: Notice) => string;

export function bodyBuilder(options: { preset?: Preset; layout?: Record<string, unknown> }): BodyBuilder {
  if (options.preset) {
    const preset = options.preset;
    return (notice) => JSON.stringify(preset.body(notice));
  }
  if (options.layout) {
    // The config was validated: every template compiles.
    const { render } = compileLayout(options.layout);
    return (notice) => JSON.stringify(render(noticeLine(notice)));
  }
  return (notice) => JSON.stringify(noticeLine(notice));
}
