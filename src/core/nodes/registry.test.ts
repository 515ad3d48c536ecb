import { describe, expect, it } from 'vitest';
import type { AppError } from '../errors.js';
import { validateGraph } from '../graph/validate.js';
import { CHOOSE_GRAPH } from './subgraph/index.js';
import { findKind, kindOf, NODE_KINDS, NODE_TYPES, sideEffectOf } from './registry.js';

describe('node kinds', () => {
  it('each has a default config its own schema accepts, and a graph with it validates; a composition node names no graph until one is chosen', () => {
    for (const kind of NODE_KINDS) {
      const config = kind.defaultConfig() as Record<string, unknown>;
      const graph = (config: Record<string, unknown>) => ({
        format: 'statepipe.graph',
        version: 1,
        id: `one-${kind.type}`,
        nodes: [{ id: 'n', type: kind.type, config }],
        edges: [],
        ...(kind.childGraph
          ? { graphs: { chosen: { format: 'statepipe.graph', version: 1, id: 'chosen', nodes: [], edges: [] } } }
          : {}),
      });
      if (kind.childGraph) {
        // No default names a graph that may not exist: the problem says what to do.
        expect(config['graph'], kind.type).toBe('');
        expect(kind.childGraph(config), kind.type).toBe('');
        let issues: unknown;
        try {
          validateGraph(graph(config));
        } catch (err) {
          issues = (err as AppError).issues;
        }
        expect(issues, kind.type).toEqual([{ path: 'nodes[n].config.graph', nodeId: 'n', message: CHOOSE_GRAPH }]);
        config['graph'] = 'chosen';
      }
      expect(kind.configSchema.safeParse(config).success, kind.type).toBe(true);
      expect(() => validateGraph(graph(config)), kind.type).not.toThrow();
    }
  });

  it('each panel names distinct fields of its config', () => {
    for (const kind of NODE_KINDS) {
      const keys = kind.panel.map((f) => f.key);
      expect(new Set(keys).size, kind.type).toBe(keys.length);
      for (const f of kind.panel)
        if (f.input === 'select') expect(f.options?.length, `${kind.type}.${f.key}`).toBeGreaterThan(0);
    }
  });

  it('are found by type, and only the kinds that wait or act on the world are not instant', () => {
    expect(NODE_TYPES).toEqual([
      'input',
      'llm',
      'http',
      'code',
      'transform',
      'condition',
      'approval',
      'delay',
      'agent',
      'subgraph',
      'map',
      'loop',
      'output',
    ]);
    expect(findKind('nope')).toBeUndefined();
    expect(() => kindOf({ type: 'nope' })).toThrow('unknown node type nope');
    const byExecution = Object.fromEntries(NODE_KINDS.map((k) => [k.type, k.execution]));
    expect(byExecution).toMatchObject({ approval: 'person', delay: 'wait', llm: 'effect', transform: 'instant' });
    // Only kinds with a runner of their own, or run by the host, run anything.
    for (const k of NODE_KINDS)
      if (k.execution !== 'effect' && k.execution !== 'person') expect(k.runner, k.type).toBeDefined();
  });

  it('give the side-effect class of graph-format: http by method, agent idempotent, the rest pure', () => {
    const node = (type: string, config: Record<string, unknown> = {}, sideEffect?: 'unsafe') => ({
      id: 'x',
      type,
      config,
      ...(sideEffect ? { sideEffect } : {}),
    });
    expect(sideEffectOf(node('http', { method: 'POST' }))).toBe('unsafe');
    expect(sideEffectOf(node('http', { method: 'patch' }))).toBe('unsafe');
    expect(sideEffectOf(node('http', { method: 'PUT' }))).toBe('idempotent');
    expect(sideEffectOf(node('agent'))).toBe('idempotent');
    expect(sideEffectOf(node('llm'))).toBe('pure');
    expect(sideEffectOf(node('llm', {}, 'unsafe'))).toBe('unsafe');
  });
});
