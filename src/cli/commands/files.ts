/** `export` and `export-graph`. */
import fs from 'node:fs';
import { UsageError } from '../exit.js';
import { eventJson, withService } from '../session.js';
import { withStore, type GlobalOpts } from '../store-session.js';
import { knownRun } from '../../host/run-detail.js';
import { formatGraph, isYamlPath, type GraphFormat } from '../../host/graph-file.js';
import { parseGraphText } from '../../core/graph/validate.js';
import type { Store } from '../../host/store/index.js';

/** Writes `text` to `--out FILE` (replacing it) or stdout. */
function emit(text: string, outFile: string | undefined, what: string): void {
  if (outFile === undefined || outFile === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    fs.writeFileSync(outFile, text);
  } catch (err) {
    throw new UsageError(`--out ${outFile}: cannot write (${(err as { code?: string }).code ?? String(err)})`);
  }
  process.stderr.write(`wrote ${what} to ${outFile}\n`);
}

/** The history as recorded: a run whose process died ends where it stopped (resume adds run.interrupted). */
export async function exportCommand(
  runId: string,
  opts: { out?: string; children?: boolean },
  g: GlobalOpts,
): Promise<number> {
  return withStore(g, async (store) => {
    const id = await knownRun(store, runId);
    const events = await store.eventsSince(id, 0);
    // A parent's child runs (subgraph, map, loop): depth first after it with --children, else named.
    const children = await descendants(store, id);
    if (opts.children) for (const c of children) events.push(...(await store.eventsSince(c, 0)));
    const text = events.map((e) => eventJson(e) + '\n').join('');
    const runs =
      opts.children && children.length > 0 ? ` of ${runId} and its ${children.length} child runs` : ` of ${runId}`;
    emit(text, opts.out, `${events.length} events${runs}`);
    if (!opts.children && children.length > 0)
      process.stderr.write(
        `note: run ${runId} has ${children.length} child run${children.length === 1 ? '' : 's'} (their events are not in this export: add --children)\n`,
      );
    return 0;
  });
}

/** Every child run below `runId`, depth first, each before its own children. */
async function descendants(store: Store, runId: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of await store.listRuns({ parentRunId: runId, limit: 1_000_000, order: 'asc' })) {
    out.push(c.runId, ...(await descendants(store, c.runId)));
  }
  return out;
}

const READ_ONLY = { readOnly: true } as const;

export async function exportGraphCommand(
  id: string,
  opts: { out?: string; format?: string },
  g: GlobalOpts,
): Promise<number> {
  if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'yaml')
    throw new UsageError(`--format: expected json or yaml, got "${opts.format}"`);
  const format: GraphFormat =
    (opts.format as GraphFormat | undefined) ?? (opts.out && isYamlPath(opts.out) ? 'yaml' : 'json');
  return withService(
    g,
    async (svc) => {
      let text = await svc.exportGraph(id);
      const graph = parseGraphText(text);
      if (format === 'yaml') text = formatGraph(graph, 'yaml');
      if (!text.endsWith('\n')) text += '\n';
      // `id` is a graph's id or a run's: the message names the graph either way.
      emit(text, opts.out, graph.id === id ? `graph ${id}` : `graph ${graph.id} as run ${id} ran it`);
      return 0;
    },
    READ_ONLY,
  );
}
