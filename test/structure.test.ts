// The structure of the code: no import circle among the files of src/ and bench/; the renderer's
// folders import each other in one direction only (so `editor/` and `run/` never import each
// other). Type-only, side-effect and dynamic imports count.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circles, importGraph, sources } from './import-graph';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(repo, 'src', 'renderer');

const files = sources(root);
const graph = importGraph(files);
const folder = (f: string) => (relative(root, f).includes('/') ? relative(root, f).split('/')[0]! : '.');

describe('renderer structure', () => {
  it('has no import circle among its files, nor among those of src/ and bench/', () => {
    const found = circles(files, (f) => graph.get(f) ?? []).map((c) => c.map((f) => relative(root, f)));
    expect(found).toEqual([]);
    const tree = [...sources(join(repo, 'src')), ...sources(join(repo, 'bench'))];
    const whole = importGraph(tree);
    const all = circles(tree, (f) => whole.get(f) ?? []).map((c) => c.map((f) => relative(repo, f)));
    expect(all).toEqual([]);
  });

  it('has folders that import each other in one direction only (editor/ and run/ do not import each other)', () => {
    const deps = new Map<string, Set<string>>();
    for (const [f, to] of graph) {
      const from = folder(f);
      if (from === '.') continue; // the shell (App, main, session) composes every folder
      for (const t of to)
        if (folder(t) !== from) (deps.get(from) ?? deps.set(from, new Set()).get(from)!).add(folder(t));
    }
    expect(circles([...deps.keys()], (d) => [...(deps.get(d) ?? [])])).toEqual([]);
    expect(deps.get('run')?.has('editor') ?? false).toBe(false);
    expect(deps.get('canvas')?.has('run') ?? false).toBe(false);
    expect(deps.get('canvas')?.has('editor') ?? false).toBe(false);
  });

  it('formats durations and costs in one module', () => {
    const offenders = files.filter(
      (f) =>
        !f.endsWith('ui/format.ts') &&
        /toFixed\(\s*[45]\s*\)|\/ 60_000|\/ 1000\)\.toFixed/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
