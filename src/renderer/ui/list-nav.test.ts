import { describe, expect, it } from 'vitest';
import { listKey } from './list-nav';

describe('listKey (a filter box over a list)', () => {
  it('moves the highlight with the arrows and stops at the ends', () => {
    expect(listKey('ArrowDown', -1, 3)).toEqual({ active: 0 });
    expect(listKey('ArrowDown', 0, 3)).toEqual({ active: 1 });
    expect(listKey('ArrowDown', 2, 3)).toEqual({ active: 2 });
    expect(listKey('ArrowUp', 2, 3)).toEqual({ active: 1 });
    expect(listKey('ArrowUp', 0, 3)).toEqual({ active: 0 });
    expect(listKey('ArrowUp', -1, 3)).toEqual({ active: 2 });
  });

  it('treats a highlight past a shrunk list as none', () => {
    expect(listKey('ArrowDown', 5, 2)).toEqual({ active: 0 });
    expect(listKey('Enter', 5, 2)).toBeNull();
    expect(listKey('Enter', 5, 1)).toEqual({ pick: 0 });
  });

  it('Enter picks the highlighted row, or the only one', () => {
    expect(listKey('Enter', 1, 3)).toEqual({ pick: 1 });
    expect(listKey('Enter', -1, 1)).toEqual({ pick: 0 });
    expect(listKey('Enter', -1, 3)).toBeNull();
  });

  it('does nothing on an empty list or another key', () => {
    expect(listKey('ArrowDown', -1, 0)).toBeNull();
    expect(listKey('Enter', -1, 0)).toBeNull();
    expect(listKey('a', 0, 3)).toBeNull();
    expect(listKey('Home', 2, 3)).toBeNull();
  });
});
