import type { Level } from '../grade/levels.js';

/** The colour each level is drawn in: info grey, normal green, warning orange, error red, fatal dark red. */
export const LEVEL_COLOURS: Record<Level, string> = {
  info: '#9e9e9e',
  normal: '#2e7d32',
  warning: '#f57c00',
  error: '#d32f2f',
  fatal: '#7f0000',
};
