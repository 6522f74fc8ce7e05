import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, fitCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';

function checkpointOf(n: number): Checkpoint {
  return { version: 1, savedAt: '2026-11-22T00:00:00.000Z', scopes: { '*': Array.from({ length: n }, (_, i) => [(Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0, i + 1, Math.floor((n - i) / (n / 8))] as [number, number, number, number]) } };
}

describe('checkpoint', () => {
  it('round-trips through its encoding and the file store', async () => {
    const cp = checkpointOf(100);
    expect(decodeCheckpoint(encodeCheckpoint(cp), 'test')).toEqual(cp);
    const store = new FileCheckpointStore(join(mkdtempSync(join(tmpdir(), 'cp-')), 'sub', 'checkpoint'));
    expect(await store.load()).toBeUndefined();
    await store.save(cp);
    expect(await store.load()).toEqual(cp);
  });

  it('says where an unreadable checkpoint is', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cp-')), 'checkpoint');
    writeFileSync(path, 'not a checkpoint');
    await expect(new FileCheckpointStore(path).load()).rejects.toThrow(`checkpoint in file ${path} is unreadable`);
  });

  it('keeps the most recently seen entries when it must fit a ConfigMap', () => {
    const cp = checkpointOf(120_000);
    const { encoded, dropped } = fitCheckpoint(cp, 900 * 1024);
    expect(encoded.length).toBeLessThanOrEqual(900 * 1024);
    expect(dropped).toBeGreaterThan(0);
    const kept = decodeCheckpoint(encoded, 't').scopes['*']!;
    expect(kept.length + dropped).toBe(120_000);
    expect(kept.at(-1)).toEqual(cp.scopes['*']!.at(-1));
  });
});
