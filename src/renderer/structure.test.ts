// The renderer's seams: no import circle among its files, and its folders import each other in
// one direction only (so `editor/` and `run/` never import each other). Type-only imports count.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

const files = sources(root);
const known = new Set(files);
const IMPORT = /(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const base = resolve(dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, ''));
    const hit = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((c) => known.has(c));
    if (hit) out.push(hit);
  }
  return out;
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));
const folder = (f: string) => (relative(root, f).includes('/') ? relative(root, f).split('/')[0]! : '.');

/** Strongly connected components with more than one member (Tarjan). */
function circles(nodes: string[], edges: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let i = 0;
  const visit = (v: string): void => {
    index.set(v, i);
    low.set(v, i++);
    stack.push(v);
    on.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const comp: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      on.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) out.push(comp.sort());
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

describe('renderer structure', () => {
  it('has no import circle among its files', () => {
    const found = circles(files, (f) => graph.get(f) ?? []).map((c) => c.map((f) => relative(root, f)));
    expect(found).toEqual([]);
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
