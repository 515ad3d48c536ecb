/** `validate`, `export`, `export-graph` and `serve`. */
import fs from 'node:fs';
import { EXIT, UsageError, errorMessage, exitCodeFor } from '../exit.js';
import { loadGraphFile, positiveInt } from '../files.js';
import { paint, streamOut } from '../render.js';
import { eventJson, resolveDbPath, withService, type GlobalOpts } from '../session.js';
import { formatGraph, isYamlPath, type GraphFormat } from '../../host/graph-file.js';
import { parseGraphText } from '../../core/graph/validate.js';
import type { StatepipeService } from '../../host/service.js';

/**
 * Validation only: never opens (or creates) the database. Every file is checked: each one's
 * result is printed (`ok: …` on stdout, `statepipe: <file>: <error>` on stderr) and the exit
 * code is 2 when any failed.
 */
export async function validateCommand(files: string[], opts: { json?: boolean }, global: GlobalOpts): Promise<number> {
  const out = streamOut(process.stdout);
  const p = paint(out);
  const errp = paint(streamOut(process.stderr));
  const docs: unknown[] = [];
  let failed = 0;
  for (const file of files) {
    try {
      const g = await loadGraphFile(file, resolveDbPath(global)); // errors name the file, node/edge and field
      const what = `${g.id} (${g.nodes.length} nodes, ${g.edges.length} edges)`;
      if (opts.json) docs.push({ file, ok: true, id: g.id, nodes: g.nodes.length, edges: g.edges.length });
      else out.write(`${p.green('ok')}: ${files.length > 1 ? `${file}: ` : ''}${what}\n`);
    } catch (err) {
      if (exitCodeFor(err) !== EXIT.usage) throw err;
      failed++;
      const msg = errorMessage(err);
      const line = msg.includes(file) ? msg : `${file}: ${msg}`;
      if (opts.json) docs.push({ file, ok: false, error: line });
      process.stderr.write(`${errp.red('statepipe:')} ${line}\n`);
    }
  }
  if (opts.json) out.write(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n');
  if (failed > 0 && files.length > 1) process.stderr.write(`validate: ${failed} of ${files.length} files failed\n`);
  return failed > 0 ? EXIT.usage : EXIT.ok;
}

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
  return withService(
    g,
    async (svc) => {
      const events = await svc.events(runId, 0);
      // A parent's child runs (subgraph, map, loop): depth first after it with --children, else named.
      const children = await descendants(svc, runId);
      if (opts.children) for (const c of children) events.push(...(await svc.events(c, 0)));
      const text = events.map((e) => eventJson(e) + '\n').join('');
      const runs =
        opts.children && children.length > 0 ? ` of ${runId} and its ${children.length} child runs` : ` of ${runId}`;
      emit(text, opts.out, `${events.length} events${runs}`);
      if (!opts.children && children.length > 0)
        process.stderr.write(
          `note: run ${runId} has ${children.length} child run${children.length === 1 ? '' : 's'} (their events are not in this export: add --children)\n`,
        );
      return 0;
    },
    READ_ONLY,
  );
}

/** Every child run below `runId`, depth first, each before its own children. */
async function descendants(svc: StatepipeService, runId: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of await svc.list({ parentRunId: runId, limit: 1_000_000, order: 'asc' })) {
    out.push(c.runId, ...(await descendants(svc, c.runId)));
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
      if (format === 'yaml') text = formatGraph(parseGraphText(text), 'yaml');
      if (!text.endsWith('\n')) text += '\n';
      emit(text, opts.out, `graph ${id}`);
      return 0;
    },
    READ_ONLY,
  );
}

export async function serveCommand(opts: { port?: string; host?: string }, g: GlobalOpts): Promise<number> {
  const port = positiveInt(opts.port, '--port', true);
  const host = opts.host ?? '127.0.0.1';
  // Loaded here only: the web host (Fastify and its plugins) would add a second to every other command's start.
  const { startServer } = await import('../../server/index.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ dbPath: resolveDbPath(g), host, ...(port !== undefined ? { port } : {}) });
  } catch (err) {
    throw listenError(err, host, port) ?? err;
  }
  process.stdout.write(`studio: ${server.url}\n(database ${server.service.store.displayName}; Ctrl+C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

/** A listen failure as a usage error (exit 2, one line): exit 1 is for a failed run. */
function listenError(err: unknown, host: string, port: number | undefined): UsageError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new UsageError(`serve: port ${port} is in use on ${host} (try --port 0)`);
    case 'EACCES':
    case 'EPERM':
      return new UsageError(
        `serve: no permission to listen on port ${port} of ${host} (try a port above 1023, or --port 0)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new UsageError(`serve: --host ${host} cannot be resolved (try --host 127.0.0.1)`);
    case 'EADDRNOTAVAIL':
      return new UsageError(`serve: --host ${host} is not an address of this machine (try --host 127.0.0.1)`);
    default:
      return undefined;
  }
}
