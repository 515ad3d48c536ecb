import { describe, expect, it } from 'vitest';
import { childRunId, newRunId } from './ids.js';

describe('childRunId', () => {
  const parent = newRunId(Date.parse('2026-12-06T22:00:00Z'), () => 0.5);

  it('is the same in every process, time-sorted with its parent, 30 characters like a run id', () => {
    const id = childRunId(parent, 'each', 1, 7);
    expect(childRunId(parent, 'each', 1, 7)).toBe(id);
    expect(id.slice(0, 14)).toBe(parent.slice(0, 14));
    expect(id).toHaveLength(parent.length);
    expect(id).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("sorts a map's children in item order (their index entries go to the end, not all over)", () => {
    const ids = Array.from({ length: 5000 }, (_, key) => childRunId(parent, 'each', 1, key));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs by node, attempt and key', () => {
    const ids = new Set([
      childRunId(parent, 'each', 1, 0),
      childRunId(parent, 'each', 2, 0),
      childRunId(parent, 'other', 1, 0),
      childRunId(parent, 'each', 1, 1),
      childRunId(
        newRunId(Date.parse('2026-12-06T22:00:00Z'), () => 0.25),
        'each',
        1,
        0,
      ),
    ]);
    expect(ids.size).toBe(5);
  });
});
