// `kube-eventline timeline --format html` opened in Debian's headless Chromium (playwright-core):
// the page draws the timeline in the level colours, asks for nothing over the network, zooms and
// pans with the mouse, and shows a group's details on click. The screenshot of the fixed scenario
// with a group's details open is docs/img/timeline.png (UPDATE_TIMELINE_GOLDEN=1 rewrites it).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../support/real-events.js';
import { eventLinesOf, FIXTURE, openChromium, timeline } from '../support/timeline.js';

const COLOURS: Record<string, [number, number, number]> = {
  info: [0x9e, 0x9e, 0x9e],
  normal: [0x2e, 0x7d, 0x32],
  warning: [0xf5, 0x7c, 0x00],
  error: [0xd3, 0x2f, 0x2f],
  fatal: [0x7f, 0x00, 0x00],
};

let browser: Awaited<ReturnType<typeof openChromium>> | undefined;
/** Chromium that could not start fails every test with its reason (a failing beforeAll would mark them skipped). */
let launchError: unknown;
let url: string;
const requests: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  const r = await timeline(['--file', FIXTURE, '--workload', 'deployment/api', '--namespace', 'shop'], { ext: 'html' });
  expect(r.code, r.stderr).toBe(0);
  const dir = mkdtempSync(join(tmpdir(), 'timeline-html-'));
  const file = join(dir, 'api.html');
  writeFileSync(file, r.output);
  url = pathToFileURL(file).href;
  try {
    browser = await openChromium();
  } catch (err) {
    launchError = err;
    return;
  }
  browser.context.on('request', (req) => {
    if (req.url() !== url) requests.push(req.url());
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

function chromium() {
  if (!browser) throw launchError;
  return browser;
}

async function openPage() {
  const page = await chromium().context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url);
  return page;
}

/** Pixels of exactly each colour in a PNG screenshot. */
function colourCounts(png: Buffer): { total: number; white: number; counts: Record<string, number> } {
  const image = PNG.sync.read(png);
  const counts: Record<string, number> = Object.fromEntries(Object.keys(COLOURS).map((k) => [k, 0]));
  let white = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
    if (r >= 0xf8 && g >= 0xf8 && b >= 0xf8) white++;
    for (const [level, [cr, cg, cb]] of Object.entries(COLOURS)) if (r === cr && g === cg && b === cb) counts[level]!++;
  }
  return { total: image.width * image.height, white, counts };
}

describe('timeline HTML in headless Chromium', { timeout: 30_000 }, () => {
  it('shows the timeline in the colours of the levels present, and no other level colour', async () => {
    const page = await openPage();
    const shot = await page.screenshot();
    const { total, white, counts } = colourCounts(shot);
    expect(white / total).toBeLessThan(0.97); // not blank
    const present = new Set(eventLinesOf(FIXTURE).map((l) => l.level));
    expect([...present].sort()).toEqual(['error', 'info', 'normal', 'warning']);
    for (const level of present) expect(counts[level], `${level} pixels`).toBeGreaterThan(30);
    expect(counts.fatal, 'fatal pixels').toBe(0);
    await page.close();
  });

  it("shows a group's details on click, messages as text", async () => {
    const page = await openPage();
    const burst = page.locator('.group', { hasText: 'Unhealthy ×40' });
    const number = await burst.getAttribute('data-group');
    const delta = Number(await burst.getAttribute('data-delta'));
    expect(await page.locator('#details tr.entry').count()).toBe(0);
    await burst.locator('circle').click();
    expect(await page.locator('#details').getAttribute('data-group')).toBe(number);
    expect(await page.locator('#details h2').textContent()).toContain(`${delta} occurrences, highest level error`);
    const rows = page.locator('#details tr.entry');
    const deltas = await rows.evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.delta)));
    expect(deltas.reduce((a, b) => a + b, 0)).toBe(delta);
    expect(await rows.locator('td.reason').allTextContents()).toEqual(expect.arrayContaining(['Unhealthy', 'Killing', 'FailedMount']));
    expect(await page.locator('#details').textContent()).toContain('Liveness probe failed: HTTP probe failed with statuscode: 503');
    if (process.env.UPDATE_TIMELINE_GOLDEN === '1') writeFileSync(repoPath('docs', 'img', 'timeline.png'), await page.screenshot());

    // The hostile message is shown as text and runs nothing.
    await page.locator('.group', { hasText: 'Evicted' }).locator('circle').click();
    expect(await page.locator('#details td.message').first().textContent()).toContain('<script>alert("x")</script>');
    expect(await page.locator('#details script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('zooms with the wheel and pans with a drag', async () => {
    const page = await openPage();
    const viewBox = () => page.locator('#viewport svg').getAttribute('viewBox');
    const before = (await viewBox())!.split(' ').map(Number);
    await page.mouse.move(400, 300);
    await page.mouse.wheel(0, -600);
    await page.waitForFunction((b) => document.querySelector('#viewport svg')!.getAttribute('viewBox') !== b, before.join(' '));
    const zoomed = (await viewBox())!.split(' ').map(Number);
    expect(zoomed[2]!).toBeLessThan(before[2]! * 0.8);
    await page.mouse.move(400, 300);
    await page.mouse.down();
    await page.mouse.move(250, 260, { steps: 5 });
    await page.mouse.up();
    const panned = (await viewBox())!.split(' ').map(Number);
    expect(panned[0]!).toBeGreaterThan(zoomed[0]!);
    expect(panned[1]!).toBeGreaterThan(zoomed[1]!);
    expect(panned[2]).toBe(zoomed[2]);
    await page.close();
  });

  it('asks for nothing over the network', () => {
    chromium();
    expect(requests).toEqual([]);
  });
});
