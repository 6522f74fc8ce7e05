/** Times in the picture are UTC, so that a shared picture reads the same everywhere. */
export const isoSecond = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
export const isoMilli = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/** A group's time label: the date only when the day changes, seconds only for steps under a minute. */
export function groupTime(ms: number, previousMs: number | undefined, stepMs: number): string {
  const full = isoSecond(ms);
  if (stepMs >= 86_400_000) return full.slice(0, 10);
  const time = stepMs >= 60_000 ? full.slice(11, 16) : full.slice(11);
  const newDay = previousMs === undefined || isoSecond(previousMs).slice(0, 10) !== full.slice(0, 10);
  return newDay ? `${full.slice(0, 10)} ${time}` : time;
}

/** "2d 3h", "14h 3m", "5m 12s", "40s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}
