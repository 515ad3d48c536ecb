/** `statepipe serve`: the studio in a browser, on the same engine and database. */
import { parseAllowedOrigin } from '../../server/auth.js';
import { UsageError } from '../exit.js';
import { positiveInt } from '../flags.js';
import { resolveDbPath, type GlobalOpts } from '../global-opts.js';

export async function serveCommand(
  opts: { port?: string; host?: string; workers?: boolean; allowOrigin?: string[] },
  g: GlobalOpts,
): Promise<number> {
  const port = positiveInt(opts.port, '--port', true);
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
