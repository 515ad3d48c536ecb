/**
 * `statepipe serve`: the studio in a browser. A Fastify host on 127.0.0.1 that serves the built
 * renderer and carries the same API as the desktop app's IPC bridge to dispatch(): over a
 * WebSocket for the studio, and as an HTTP API (OpenAPI 3.1) for scripts and other programs.
 */
import fastifyWebsocket from '@fastify/websocket';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import type { DispatchContext } from '../host/dispatch.js';
import { EventFeed } from '../host/event-feed.js';
import { osUser } from '../host/os-user.js';
import { packageRoot, packageVersion } from '../host/paths.js';
import { stopDriving, type StopReport } from '../host/orderly-stop.js';
import { StatepipeService } from '../host/service.js';
import { isPostgresUrl, resolveStoreSpec } from '../host/store/spec.js';
import { RunQueue } from '../host/workers/queue.js';
import { AppError } from '../core/errors.js';
import { newToken, ownOrigins } from './auth.js';
import { BODY_LIMIT, sendFailure } from './http-errors.js';
import { registerOpenApi } from './openapi.js';
import { contractRoutes, READ_ERRORS, responses, runRoutes } from './routes.js';
import { socketRoute } from './socket.js';
import { eventsRoute } from './sse.js';
import { staticRoutes } from './static.js';
import { collectPaths, createApp, type ZodApp } from './zod-app.js';

export interface ServerOptions {
  dbPath: string;
  port?: number;
  host?: string;
  /** The built renderer (out/renderer by default). */
  staticDir?: string;
  token?: string;
  version?: string;
  onError?: (err: unknown) => void;
  /** Recorded as `by` of an approval whose request names nobody (default: the OS user the server runs as, as the CLI does). */
  approver?: string;
  /** PostgreSQL: queue started and continued runs for `statepipe worker` instead of driving them here. */
  workers?: boolean;
  /** Origins of other servers' studios that may connect here with the token (auth.ts parseAllowedOrigin). */
  allowOrigins?: readonly string[];
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  service: StatepipeService;
  /**
   * Stops in order: no new requests or streams, the runs driven here paused and their running
   * nodes finished (at most `graceMs`), then closed. What was paused, and what was left running.
   */
  stop(graceMs?: number): Promise<StopReport>;
  /** Closes at once: runs driven here stay as last written (a later start finds them interrupted). */
  close(): Promise<void>;
}

/** The store and, with workers, the queue; runs a dead process left are marked interrupted. */
async function openBackend(opts: ServerOptions): Promise<{ service: StatepipeService; queue?: RunQueue }> {
  // Refused before the store is opened: a SQLite file named here is neither created nor migrated.
  if (opts.workers && !isPostgresUrl(opts.dbPath))
    throw new AppError(
      'usage',
      `--workers needs a PostgreSQL store (--db postgres://…): workers take runs from a queue in the database; ${resolveStoreSpec(opts.dbPath)} is a SQLite file`,
    );
  const service = await StatepipeService.open({ dbPath: opts.dbPath });
  let queue: RunQueue | undefined;
  try {
    queue = opts.workers ? await RunQueue.open(service.store, { flag: '--workers' }) : undefined;
  } catch (err) {
    await service.close();
    throw err;
  }
  // With workers, a run whose driver died is theirs to take over (their reaper), not to mark interrupted.
  if (!queue) {
    await service.recoverInterrupted();
    service.watchForDeadRuns();
  }
  return { service, ...(queue ? { queue } : {}) };
}

function dispatchContext(opts: ServerOptions, service: StatepipeService, queue?: RunQueue): DispatchContext {
  const approver = opts.approver ?? osUser();
  return {
    service,
    host: 'web',
    version: opts.version ?? packageVersion(),
    onBackgroundError: opts.onError ?? (() => undefined),
    ...(approver !== undefined ? { approver } : {}),
    ...(queue ? { queue } : {}),
  };
}

/** The contract's routes, the run routes, the event stream, the socket, the document, the studio. */
async function registerRoutes(app: ZodApp, ctx: DispatchContext, feed: EventFeed, staticDir?: string): Promise<void> {
  const optionalBodies = new Set<string>();
  await registerOpenApi(app, { version: ctx.version, optionalBodies });
  await app.register(fastifyWebsocket, { options: { maxPayload: BODY_LIMIT } });
  await app.register(async (api) => {
    contractRoutes(api, ctx, optionalBodies);
    runRoutes(api, ctx, optionalBodies);
    eventsRoute(api, ctx, feed);
    socketRoute(api, ctx, feed);
    api.get(
      '/api/openapi.json',
      {
        schema: {
          operationId: 'openapi',
          summary: 'this document',
          tags: ['meta'],
          response: responses({ 200: ['the OpenAPI 3.1 document', z.record(z.string(), z.unknown())] }, READ_ERRORS),
        },
      },
      async () => app.swagger(),
    );
    api.all('/api/*', { schema: { hide: true } }, (req, reply) =>
      sendFailure(reply, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}`),
    );
    await staticRoutes(api, resolve(staticDir ?? join(packageRoot(), 'out', 'renderer')));
  });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { service, queue } = await openBackend(opts);
  const ctx = dispatchContext(opts, service, queue);
  const token = opts.token ?? newToken();
  const host = opts.host ?? '127.0.0.1';
  const feed = await EventFeed.open(service.store);
  const origins = new Set<string>();
  const app = createApp({
    token,
    ownOrigins: origins,
    allowedOrigins: new Set(opts.allowOrigins ?? []),
    onError: opts.onError ?? (() => undefined),
  });
  const finishPaths = collectPaths(app);
  try {
    await registerRoutes(app, ctx, feed, opts.staticDir);
    await app.after();
    finishPaths();
    await app.listen({ port: opts.port ?? 0, host });
  } catch (err) {
    await app.close().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await service.close(); // nothing listens: leave no database handle behind
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  for (const o of ownOrigins(port, host)) origins.add(o);
  feed.start();
  const closeFront = async () => {
    feed.stop();
    for (const ws of app.websocketServer.clients) ws.terminate();
    await app.close();
  };
  const closeBack = async () => {
    await queue?.close().catch(() => undefined);
    await service.close();
  };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/?token=${token}`,
    port,
    token,
    service,
    async stop(graceMs) {
      await closeFront();
      try {
        return await stopDriving(service, graceMs);
      } finally {
        await closeBack();
      }
    },
    async close() {
      await closeFront();
      await closeBack();
    },
  };
}
