/** Graph files: parse + validate an imported file, download the canonical bytes, recent graphs and the autosave draft. */
import { AppError } from '../../core/errors';
import type { Graph } from '../../core/graph/schema';
import { GraphSchema } from '../../core/graph/schema';
import { serializeGraph } from '../../core/graph/serialize';

export const RECENT_KEY = 'statepipe.recent';
export const DRAFT_KEY = 'statepipe.draft';
const RECENT_MAX = 8;

export interface RecentGraph {
  graphId: string;
  name: string;
  at: string;
}

/**
 * Reads a graph file's text. The document must have the v1 shape to be loaded at all; graph-level
 * problems (cycles, references, …) are kept and shown on the canvas instead of refusing the file.
 */
export function readGraphText(text: string, source = 'file'): Graph {
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new AppError('validation', `${source}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return graphOf(raw, source);
}

/** A graph file's name says YAML (`.yaml`, `.yml`), as the CLI reads it. */
export const isYamlName = (name: string): boolean => /\.ya?ml$/i.test(name);

/**
 * Reads a YAML graph file (the CLI's other format) as the CLI reads it, in its words: duplicate
 * keys refused, aliases bounded, a syntax error naming its line. The `yaml` package is loaded on
 * the first such import only.
 */
export async function readYamlGraph(text: string, source: string): Promise<Graph> {
  const { LineCounter, parseDocument } = await import('yaml');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const e = doc.errors[0];
  if (e) {
    const line = lc.linePos(e.pos[0]).line;
    throw new AppError('validation', `${source}:${line}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  if (text.trim() === '') throw new AppError('validation', `${source}: not valid YAML: the file is empty`);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new AppError('validation', `${source}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  return graphOf(raw, source);
}

/** A parsed file as a graph: it must have the v1 shape to be loaded at all. */
function graphOf(raw: unknown, source: string): Graph {
  const shape = GraphSchema.safeParse(raw);
  if (!shape.success) {
    const i = shape.error.issues[0]!;
    throw new AppError('validation', `${source}: ${i.path.join('.') || 'graph'}: ${i.message}`);
  }
  const g = raw as Graph;
  return { ...g, nodes: g.nodes.map((n) => (n.config === undefined ? { ...n, config: {} } : n)) };
}

/** Starts a download of the graph's canonical bytes as `<id>.json`. */
export function downloadGraph(graph: Graph): void {
  const blob = new Blob([serializeGraph(graph)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${graph.id}.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function read<T>(key: string, fallback: T): T {
  try {
    const v = localStorage.getItem(key);
    return v ? (JSON.parse(v) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function recentGraphs(): RecentGraph[] {
  const list = read<unknown>(RECENT_KEY, []);
  return Array.isArray(list) ? (list as RecentGraph[]).filter((r) => typeof r?.graphId === 'string') : [];
}

export function rememberRecent(graph: Graph): RecentGraph[] {
  const list = [
    { graphId: graph.id, name: graph.name ?? graph.id, at: new Date().toISOString() },
    ...recentGraphs().filter((r) => r.graphId !== graph.id),
  ].slice(0, RECENT_MAX);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  } catch {
    /* storage full or disabled: recent graphs are a convenience */
  }
  return list;
}

export interface Draft {
  json: string;
  dbVersion: number | null;
  savedId?: string | null;
  savedAt: string;
}

export function saveDraft(graph: Graph, dbVersion: number | null, savedId: string | null): void {
  try {
    localStorage.setItem(
      DRAFT_KEY,
      JSON.stringify({
        json: serializeGraph(graph),
        dbVersion,
        savedId,
        savedAt: new Date().toISOString(),
      } satisfies Draft),
    );
  } catch {
    /* ignore */
  }
}

export function clearDraft(): void {
  try {
    localStorage.removeItem(DRAFT_KEY);
  } catch {
    /* ignore */
  }
}

export function loadDraft(): { graph: Graph; dbVersion: number | null; savedId: string | null } | null {
  const d = read<Draft | null>(DRAFT_KEY, null);
  if (!d || typeof d.json !== 'string') return null;
  try {
    return { graph: readGraphText(d.json, 'draft'), dbVersion: d.dbVersion ?? null, savedId: d.savedId ?? null };
  } catch {
    return null;
  }
}
