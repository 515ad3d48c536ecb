import { describe, expect, it } from 'vitest';
import { findKind, NODE_TYPES } from '../../core/nodes/registry';
import { expressionOf, kindUi } from './node-kinds';

const field = (type: string, key: string) => findKind(type)!.panel.find((f) => f.key === key)!;

describe('the studio view of the node kinds', () => {
  it('covers every core kind, its panel and facts taken from the descriptor', () => {
    for (const type of NODE_TYPES) {
      const ui = kindUi(type)!;
      expect(ui, type).toBeDefined();
      expect(ui.core).toBe(findKind(type));
      expect(ui.fields).toBe(findKind(type)!.panel);
      expect(ui.label).toBe(findKind(type)!.label);
    }
    expect(NODE_TYPES).toEqual(expect.arrayContaining(['subgraph', 'map', 'loop']));
    expect(kindUi('nope')).toBeUndefined();
  });

  it('derives what the studio offers from how the kind runs', () => {
    const testable = NODE_TYPES.filter((t) => kindUi(t)!.testable);
    expect(testable).not.toContain('approval');
    for (const t of ['subgraph', 'map', 'loop']) expect(testable).not.toContain(t);
    expect(testable).toEqual(expect.arrayContaining(['llm', 'code', 'http', 'transform', 'delay']));
    expect(NODE_TYPES.filter((t) => kindUi(t)!.branching).sort()).toEqual(['approval', 'condition']);
    expect(NODE_TYPES.filter((t) => kindUi(t)!.streams).sort()).toEqual(['agent', 'llm']);
    expect(NODE_TYPES.filter((t) => kindUi(t)!.readsUpstream).sort()).toEqual(['agent', 'code']);
  });

  it('gives the expression editor to fields evaluated over the node scope only', () => {
    expect(expressionOf(findKind('llm')!, field('llm', 'prompt'))).toBe('template');
    expect(expressionOf(findKind('approval')!, field('approval', 'title'))).toBe('template');
    expect(expressionOf(findKind('condition')!, field('condition', 'expression'))).toBe('condition');
    expect(expressionOf(findKind('map')!, field('map', 'items'))).toBe('template');
    // A loop's until is evaluated over { previous, iteration }: no completion of input and nodes.
    expect(expressionOf(findKind('loop')!, field('loop', 'until'))).toBeUndefined();
    expect(expressionOf(findKind('llm')!, field('llm', 'provider'))).toBeUndefined();
  });
});
