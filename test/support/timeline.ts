// Runs `kube-eventline timeline` in-process (src/timeline/command.ts) and reads what it wrote,
// and opens pages in Debian's headless Chromium through playwright-core.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { vi } from 'vitest';
import { runTimeline } from '../../src/timeline/command.js';
import { repoPath } from './real-events.js';

export const FIXTURE = repoPath('test', 'fixtures', 'timeline', 'crashloop.jsonl');
export const FIXTURE_POD = 'api-7d9c5b-x2x4q';

/** The event lines of a file (the lines that are not event lines left out), parsed. */
export function eventLinesOf(path: string): Array<Record<string, any>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => typeof l.level === 'string' && typeof l.delta === 'number');
}

export interface TimelineRun {
  code: number;
  stderr: string;
  /** What it wrote to --out ('' when it wrote nothing). */
  output: string;
}

/** `kube-eventline timeline ARGS --out <temp file>`; `ext` decides svg or html. */
export async function timeline(args: string[], opts: { ext?: 'svg' | 'html'; env?: NodeJS.ProcessEnv; now?: number } = {}): Promise<TimelineRun> {
  const dir = mkdtempSync(join(tmpdir(), 'timeline-'));
  const out = join(dir, `picture.${opts.ext ?? 'svg'}`);
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runTimeline([...args, '--out', out], opts.env ?? {}, opts.now);
    return { code, stderr, output: existsSync(out) ? readFileSync(out, 'utf8') : '' };
  } finally {
    spy.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's chromium, headless, with a new empty profile and no network of its own. Missing
 * chromium fails the test: it is part of the test environment (.ci/run installs it).
 */
export async function openChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y --no-install-recommends chromium), as .ci/run does`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'timeline-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 800 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
