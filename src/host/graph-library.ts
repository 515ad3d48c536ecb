/**
 * Where the graphs of subgraph, map and loop nodes come from (docs/composition.md): the file's
 * own `graphs` library, else a graph saved in the database (its latest version), else a file
 * next to the graph that names it (`./summarize.json`). `withLibrary` copies every graph a run
 * needs into its library, so the run's snapshot (and `export-graph`) is all a headless run needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError, type ValidationIssue } from '../core/errors.js';
import { graphRefPath, graphRefs, missingGraphText } from '../core/graph/composition.js';
import type { Graph } from '../core/graph/schema.js';
import { validateGraph } from '../core/graph/validate.js';
import { isYamlPath, parseGraphFile } from './graph-file.js';
import type { Store } from './store/store.js';

export interface GraphSources {
  /** The file the graph was read from: refs that look like paths are read next to it. */
  file?: string;
  /** A saved graph by id (undefined when there is none). */
  saved?: (graphId: string) => Promise<Graph | undefined>;
}

const looksLikePath = (ref: string): boolean =>
  ref.startsWith('./') || ref.startsWith('../') || /\.(json|ya?ml)$/i.test(ref);

/**
 * The graph with every graph its composition nodes name (and those name, …) in its library.
 * References found nowhere are left for validation to refuse, naming the node.
 */
export async function withLibrary(graph: Graph, sources: GraphSources): Promise<Graph> {
  const library: Record<string, Graph> = { ...(graph.graphs ?? {}) };
  /** Graphs whose references are still to be looked at, with the file they came from. */
  const todo: { graph: Graph; file?: string }[] = [{ graph, ...(sources.file ? { file: sources.file } : {}) }];
  for (const g of Object.values(library)) todo.push({ graph: g, ...(sources.file ? { file: sources.file } : {}) });
  let added = false;
  while (todo.length > 0) {
    const { graph: from, file } = todo.pop()!;
    for (const { graph: ref } of graphRefs(from)) {
      if (library[ref] !== undefined) continue;
      const found = await find(ref, file, sources);
      if (!found) continue;
      // A graph from elsewhere brings its own library along; its graphs share this one.
      const { graphs: own, ...child } = found.graph;
      library[ref] = child as Graph;
      for (const [id, g] of Object.entries(own ?? {})) library[id] ??= g;
      todo.push({ graph: child as Graph, ...(found.file ? { file: found.file } : {}) });
      added = true;
    }
  }
  return added ? { ...graph, graphs: library } : graph;
}

async function find(
  ref: string,
  file: string | undefined,
  sources: GraphSources,
): Promise<{ graph: Graph; file?: string } | undefined> {
  const saved = looksLikePath(ref) ? undefined : await sources.saved?.(ref);
  if (saved) return { graph: saved };
  if (file === undefined || !looksLikePath(ref)) return undefined;
  const target = path.resolve(path.dirname(file), ref);
  if (!fs.existsSync(target)) return undefined;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(target); // bytes: invalid UTF-8 is refused, not replaced
  } catch (err) {
    throw new AppError('usage', `${target}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
  return { graph: parseGraphFile(bytes, target, { missing: 'ignore' }), file: target };
}

/**
 * A file refused for its own problems (a node's config, an edge) is also looked through for the
 * graphs its composition nodes name that no source has: each becomes one more problem of `err`,
 * so one `validate` names them all instead of the missing graph only once the rest is fixed.
 * Anything else (a syntax error, a file that is not a graph) is `err` as it was.
 */
export async function withMissingGraphs(
  err: unknown,
  text: string,
  sources: GraphSources & { file: string },
): Promise<unknown> {
  if (!(err instanceof AppError) || err.code !== 'validation' || !err.issues?.length) return err;
  let raw: unknown;
  try {
    raw = isYamlPath(sources.file) ? (await import('yaml')).parse(text) : JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return err;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return err;
  const doc = raw as { nodes?: unknown; graphs?: unknown };
  const lib =
    doc.graphs && typeof doc.graphs === 'object' && !Array.isArray(doc.graphs)
      ? (doc.graphs as Record<string, unknown>)
      : {};
  // Nodes well enough formed to name a graph (one without an id is a problem of its own already).
  const nodesOf = (g: unknown) =>
    ((g as { nodes?: unknown } | null)?.nodes instanceof Array ? (g as { nodes: unknown[] }).nodes : []).filter(
      (n): n is Graph['nodes'][number] =>
        typeof n === 'object' &&
        n !== null &&
        typeof (n as { type?: unknown }).type === 'string' &&
        typeof (n as { id?: unknown }).id === 'string',
    );
  const missing: ValidationIssue[] = [];
  for (const [from, g] of [['', doc] as const, ...Object.entries(lib)]) {
    for (const r of graphRefs({ nodes: nodesOf(g) })) {
      if (typeof r.graph !== 'string' || r.graph === '' || Object.hasOwn(lib, r.graph)) continue;
      const found = await find(r.graph, sources.file, sources).catch(() => 'unreadable' as const);
      if (found !== undefined) continue;
      const path = graphRefPath(from, r.nodeId);
      if (err.issues.some((i) => i.path === path)) continue;
      missing.push({ path, nodeId: r.nodeId, message: missingGraphText(r.graph) });
    }
  }
  if (missing.length === 0) return err;
  const issues = [...err.issues, ...missing];
  const message = `${err.message.replace(/ \(\+\d+ more\)$/, '')} (+${issues.length - 1} more)`;
  return new AppError('validation', message, issues);
}

/** The graph, its library filled, validated whole: a graph no source has is refused, naming the node. */
export async function completeGraph(graph: Graph, sources: GraphSources, source?: string): Promise<Graph> {
  return validateGraph(await withLibrary(graph, sources), source);
}

/**
 * A graph saved in a database (its latest saved version), or undefined: a graph only ever run as
 * a draft from the studio or the API has a run's snapshot, not a saved version, and is not one.
 */
export async function savedGraph(
  store: Pick<Store, 'graphVersionOf' | 'getGraph'>,
  graphId: string,
): Promise<Graph | undefined> {
  if (!(await store.graphVersionOf(graphId))?.saved) return undefined;
  return store.getGraph(graphId).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'not-found') return undefined;
    throw err;
  });
}

export { isYamlPath };
