import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RawEvent } from '../../src/line/event-line.js';

/** 302 Events recorded on real clusters (Kubernetes 1.8–1.33); SOURCES.md beside it says where each comes from. */
export const REAL_EVENTS_PATH = resolve(import.meta.dirname, '..', 'fixtures', 'events', 'real-events.jsonl');

export function realEvents(): RawEvent[] {
  const text = readFileSync(REAL_EVENTS_PATH, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as RawEvent;
      } catch (err) {
        throw new Error(`${REAL_EVENTS_PATH}:${i + 1}: ${(err as Error).message}`);
      }
    });
}

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const repoPath = (...parts: string[]) => join(REPO_ROOT, ...parts);
