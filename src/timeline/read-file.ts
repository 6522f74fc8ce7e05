import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { InputTally } from './input-tally.js';
import { parseTimelineLine, StringPool, type TimelineLine } from './occurrence.js';

/** Thrown when the file cannot be opened or read; the message names it. */
export class InputFileError extends Error {}

/**
 * Reads event lines from a file, or stdin for `-`, one at a time: only what `keep` accepts is held.
 * Blank lines are not counted.
 */
export async function readLinesFile(path: string, tally: InputTally, keep: (line: TimelineLine) => void): Promise<void> {
  const name = path === '-' ? '(stdin)' : path;
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  const pool = new StringPool();
  try {
    for await (const text of lines) {
      number++;
      if (text.trim() === '') continue;
      tally.read++;
      const line = parseTimelineLine(text, pool);
      if (typeof line === 'string') tally.skip(`${name}:${number}`, line);
      else keep(line);
    }
  } catch (err) {
    throw new InputFileError(`cannot read ${name}: ${(err as Error).message}`);
  }
}
