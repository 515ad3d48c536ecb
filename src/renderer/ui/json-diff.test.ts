import { describe, expect, it } from 'vitest';
import { jsonDiff, jsonEqual, preview, stableJson } from './json-diff';

describe('jsonDiff', () => {
  it('finds changed, added and removed paths', () => {
    const a = { nodes: [{ id: 'a', config: { reply: 'Hello' } }, { id: 'b' }], name: 'x', 'odd key': 1 };
    const b = { nodes: [{ id: 'a', config: { reply: 'Howdy' } }], name: 'x', extra: true };
    expect(jsonDiff(a, b)).toEqual([
      { path: 'nodes[0].config.reply', kind: 'changed', before: 'Hello', after: 'Howdy' },
      { path: 'nodes[1]', kind: 'removed', before: { id: 'b' } },
      { path: '["odd key"]', kind: 'removed', before: 1 },
      { path: 'extra', kind: 'added', after: true },
    ]);
    expect(jsonDiff({ x: 1 }, { x: 1 })).toEqual([]);
    expect(jsonDiff('a', 'b')).toEqual([{ path: '(root)', kind: 'changed', before: 'a', after: 'b' }]);
  });

  it('ignores key order; previews are short', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
    expect(stableJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(preview('x'.repeat(300), 10)).toHaveLength(10);
    expect(preview(undefined)).toBe('—');
  });
});
