import { describe, expect, it } from 'vitest';
import { truncateMessage } from '../../src/line/message.js';

describe('truncateMessage', () => {
  it('leaves short messages alone', () => {
    expect(truncateMessage('Back-off restarting failed container', 64)).toBe('Back-off restarting failed container');
  });

  it('cuts long messages to the byte limit and says how much was cut', () => {
    const message = 'x'.repeat(10_000);
    const cut = truncateMessage(message, 100);
    expect(cut.startsWith('x'.repeat(100))).toBe(true);
    expect(cut).toBe(`${'x'.repeat(100)} …[truncated 9900 bytes]`);
  });

  it('never splits a multi-byte character', () => {
    const message = 'é'.repeat(100); // 2 bytes each
    const cut = truncateMessage(message, 51);
    const kept = cut.slice(0, cut.indexOf(' …'));
    expect(kept).toBe('é'.repeat(25));
    expect(cut).toContain('truncated 150 bytes');
    expect(Buffer.from(kept, 'utf8').toString('utf8')).toBe(kept);
    const emoji = truncateMessage('🙂'.repeat(50), 10); // 4 bytes each
    expect(emoji.startsWith('🙂🙂 …')).toBe(true);
  });
});
