/** Severity levels, lowest first. The order is the contract: `minLevel` compares by index. */
export const LEVELS = ['info', 'normal', 'warning', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}
