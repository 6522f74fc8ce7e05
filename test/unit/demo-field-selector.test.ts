import { describe, expect, it } from 'vitest';
import { parseFieldSelector } from '../../src/demo/field-selector.js';
import { applyMergePatch } from '../../src/demo/merge-patch.js';

const event = {
  metadata: { name: 'node-1.17a', namespace: 'default' },
  involvedObject: { kind: 'Node', name: 'node-1' },
  type: 'Warning',
  reason: 'OOMKilling',
};

describe('parseFieldSelector', () => {
  it('matches dotted paths with =, == and !=, all terms ANDed', () => {
    expect(parseFieldSelector('involvedObject.kind=Node')(event)).toBe(true);
    expect(parseFieldSelector('involvedObject.kind==Pod')(event)).toBe(false);
    expect(parseFieldSelector('type!=Normal,reason=OOMKilling')(event)).toBe(true);
    expect(parseFieldSelector('type!=Normal,reason=BackOff')(event)).toBe(false);
  });

  it('compares a missing field as empty and accepts an empty selector', () => {
    expect(parseFieldSelector('involvedObject.namespace=')(event)).toBe(true);
    expect(parseFieldSelector('involvedObject.namespace!=')(event)).toBe(false);
    expect(parseFieldSelector(null)(event)).toBe(true);
  });

  it('refuses a malformed term with 400 BadRequest', () => {
    expect(() => parseFieldSelector('kind')).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 400 }) }));
  });
});

describe('applyMergePatch', () => {
  it('merges objects, replaces other values and removes keys set to null', () => {
    const target = { metadata: { name: 'cp', labels: { a: '1', b: '2' } }, data: { rv: '1' }, list: [1, 2] };
    expect(applyMergePatch(target, { metadata: { labels: { b: null, c: '3' } }, data: { rv: '2' }, list: [3] })).toEqual({
      metadata: { name: 'cp', labels: { a: '1', c: '3' } },
      data: { rv: '2' },
      list: [3],
    });
    expect(target.metadata.labels).toEqual({ a: '1', b: '2' }); // the target is left as it was
  });
});
