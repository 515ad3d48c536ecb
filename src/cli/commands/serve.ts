/** `statepipe serve`: the studio in a browser, on the same engine and database. */
import { parseAllowedOrigin } from '../../server/auth.js';
import { UsageError } from '../exit.js';
import { durationMs, positiveInt } from '../flags.js';
import { resolveDbPath, type GlobalOpts } from '../global-opts.js';
import { DEFAULT_GRACE_MS, type StopReport } from '../../host/orderly-stop.js';
import { topLevel } from '../../core/engine/pause-all.js';

export async function serveCommand(
  opts: { port?: string; host?: string; workers?: boolean; allowOrigin?: string[]; graceMs?: string },
  g: GlobalOpts,
): Promise<number> {
  const port = positiveInt(opts.port, '--port', true);
  const graceMs = durationMs(opts.graceMs, '--grace-ms') ?? DEFAULT_GRACE_MS;
  // A server that studios connect to keeps its token across restarts (a new one each start otherwise).
  const token = process.env['STATEPIPE_TOKEN'] || undefined;
  if (token !== undefined && !/^[A-Za-z0-9._~-]{16,}$/.test(token))
    throw new UsageError(
      'serve: STATEPIPE_TOKEN must be at least 16 characters of A-Z a-z 0-9 . _ ~ - (e.g. openssl rand -hex 24)',
    );
  const allowOrigins = (opts.allowOrigin ?? []).map((text) => {
    const r = parseAllowedOrigin(text);
    if (!r.ok) throw new UsageError(`serve: ${r.error}`);
    return r.origin;
  });
  const host = opts.host ?? '127.0.0.1';
  // Loaded here only: the web host (Fastify and its plugins) would add to every other command's start.
  const { startServer } = await import('../../server/index.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      dbPath: resolveDbPath(g),
      host,
      ...(port !== undefined ? { port } : {}),
      ...(opts.workers ? { workers: true } : {}),
      ...(allowOrigins.length ? { allowOrigins } : {}),
      ...(token !== undefined ? { token } : {}),
      // A run driven in the background that fails outside its nodes (the database gone, a bug):
      // said here, where the person who started the server looks.
      onError: (err: unknown) =>
        process.stderr.write(`statepipe serve: ${err instanceof Error ? err.message : String(err)}\n`),
    });
  } catch (err) {
    throw listenError(err, host, port) ?? err;
  }
  const mode = opts.workers ? '; runs go to workers' : '';
  process.stdout.write(
    `studio: ${server.url}\n(database ${server.service.store.displayName}${mode}; Ctrl+C to stop)\n`,
  );
  const running = server;
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (): void => {
      // A second Ctrl+C quits at once: the runs stay as the first left them (paused, what ran still
      // marked running), and a resume goes on with them.
      if (++signals > 1) process.exit(130);
      const { engine } = running.service;
      const stopping = engine.startsSettled().then(() => {
        const driven = topLevel(engine.drivenHere()).length;
        if (driven > 0)
          process.stderr.write(
            `\nstopping: pausing ${plural(driven, 'run')} driven here; running nodes finish first (at most ${graceMs / 1000} s; Ctrl+C again to quit now)\n`,
          );
        return running.stop(graceMs);
      });
      stopping.then((report) => {
        process.stderr.write(stopLines(report));
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      }, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** What the stop did to the runs this server drove, and how to go on with them. */
export function stopLines(report: StopReport): string {
  const lines: string[] = [];
  if (report.paused.length > 0)
    lines.push(`paused: ${report.paused.join(' ')} (statepipe resume RUN, or Resume in the studio, continues each)`);
  if (report.left.length > 0)
    lines.push(
      `stopped with nodes still running: ${report.left.join(' ')} (statepipe resume RUN continues each: a delay or a retry's backoff waits what is left of it, a node cut off runs again or is reported in doubt)`,
    );
  return lines.map((l) => l + '\n').join('');
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
