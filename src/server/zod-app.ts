/**
 * The Fastify instance of the web host and its rules for every request: the token (401), writes
 * from other origins (403), JSON only (415), 16 MiB bodies (413), malformed URLs (400), unknown
 * paths (404), a method a path does not have (405 with `Allow`), and the security headers of
 * every answer. Routes come from routes.ts, sse.ts, socket.ts and static.ts.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type RawServerDefault,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IncomingMessage, ServerResponse } from 'node:http';
import secureJson from 'secure-json-parse';
import { CONTENT_SECURITY_POLICY } from '../contract/csp.js';
import { authorized, COOKIE, explicitToken, foreignWrite, originAllowed } from './auth.js';
import { BODY_LIMIT, errorHandler, failure, sendFailure } from './http-errors.js';

export type ZodApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
} as const;

export interface AppRules {
  token: string;
  /** This host's own origins (auth.ts ownOrigins), filled in once the port is known. */
  ownOrigins: Set<string>;
  /**
   * Origins of other servers' studios allowed to connect here (`serve --allow-origin`): their
   * pages may open the socket and read the HTTP API (CORS) with the token in the query or as a
   * bearer. Writes over HTTP stay same-origin: the studio writes through its socket.
   */
  allowedOrigins?: ReadonlySet<string>;
  onError: (err: unknown) => void;
}

/** A body that cannot be read as JSON: a 400 naming the body. */
const badBody = (why: string) => Object.assign(new Error(`body: ${why}`), { statusCode: 400 });

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export function createApp(rules: AppRules): ZodApp {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // An SSE stream or a keep-alive socket must not hold `close()` (and `statepipe serve`'s exit).
    forceCloseConnections: true,
    // A request (line, headers and body) must arrive within a minute: a client that trickles
    // bytes does not hold a socket forever. Answers (an event stream) may last as long as they need.
    requestTimeout: 60_000,
    return503OnClosing: true,
    frameworkErrors: (err, _req, res) => {
      const bad = err.code === 'FST_ERR_BAD_URL';
      (res as FastifyReply)
        .code(bad ? 400 : 500)
        .headers(SECURITY_HEADERS)
        .send(failure(bad ? 'bad-request' : 'internal', bad ? 'malformed URL (bad percent-encoding)' : err.message));
    },
  }).withTypeProvider<ZodTypeProvider>();
  const allowed = rules.allowedOrigins ?? new Set<string>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON is the only body the API reads: text/plain (which a page of any origin may send without
  // asking) and forms are a 415, not parsed.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    // Many clients send the JSON content type on every request: an empty body is no body.
    if (text === '') return done(null, undefined);
    try {
      // Keys that would reach an object's prototype (`__proto__`, `constructor.prototype`) are refused.
      done(null, secureJson.parse(text as string, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      const msg = (err as Error).message;
      done(
        badBody(
          /prototype/.test(msg) ? 'a "__proto__" or "constructor.prototype" key is refused' : `not valid JSON: ${msg}`,
        ),
      );
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    const query = req.query as Record<string, unknown> | undefined;
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const allowedPage = req.headers.origin !== undefined && allowed.has(req.headers.origin);
    if (!authorized(req.headers, query?.['token'], rules.token))
      return sendFailure(reply, 'unauthorized', 'missing or wrong token');
    if (allowedPage && !explicitToken(req.headers, query?.['token']))
      return sendFailure(reply, 'unauthorized', `a page of ${req.headers.origin} must send the token itself`);
    // A socket from a page of another origin is refused as the token is: 401, nothing upgraded.
    if (upgrade && !allowedPage && !originAllowed(req.headers, rules.ownOrigins))
      return sendFailure(reply, 'unauthorized', `a WebSocket from another origin (${req.headers.origin}) is refused`);
    // Only /ws upgrades; any other path answers as HTTP (the WebSocket plugin would upgrade and hang up).
    if (upgrade && req.routeOptions.url !== '/ws')
      return sendFailure(reply, 'not-found', 'no WebSocket here: the studio socket is /ws');
    if (foreignWrite(req.method, req.headers, rules.ownOrigins))
      return sendFailure(
        reply,
        'forbidden',
        `a write from another origin (${req.headers.origin ?? req.headers['sec-fetch-site']}) is refused`,
      );
    // The studio page opened with `?token=` keeps it in a cookie for its own later requests.
    if (req.method === 'GET' && typeof query?.['token'] === 'string' && !req.url.startsWith('/api/'))
      reply.header('set-cookie', `${COOKIE}=${encodeURIComponent(rules.token)}; HttpOnly; SameSite=Strict; Path=/`);
  });
  app.addHook('onSend', async (req, reply) => {
    reply.headers(SECURITY_HEADERS);
    // An allowed studio page may read the answer (a refused token included, so it can say so).
    const origin = req.headers.origin;
    if (origin !== undefined && allowed.has(origin))
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  });
  // An upgrade request that was answered instead of upgraded (401, 404, …) is done with its
  // socket: nothing else would ever close it (the HTTP server let go of it at the upgrade).
  app.addHook('onResponse', async (req) => {
    if (req.headers.upgrade !== undefined) req.raw.socket?.destroy();
  });
  app.setErrorHandler(errorHandler(rules.onError));
  app.setNotFoundHandler((req, reply) =>
    sendFailure(reply, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}`),
  );
  return app;
}

/**
 * Answers 405 with `Allow` for every method a registered path does not have. Call once every
 * route is registered (the paths are collected as they are added).
 */
export function collectPaths(app: ZodApp): () => void {
  const paths = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const set = paths.get(route.url) ?? paths.set(route.url, new Set()).get(route.url)!;
    for (const m of [route.method].flat()) set.add(m);
  });
  return () => {
    for (const [url, have] of [...paths]) {
      const allow = METHODS.filter((m) => have.has(m));
      const missing = METHODS.filter((m) => !have.has(m));
      if (missing.length === 0 || url.startsWith('/api/*')) continue;
      app.route({
        method: missing,
        url,
        schema: { hide: true },
        handler: (req, reply: FastifyReply) =>
          sendFailure(
            reply.header('allow', allow.join(', ')),
            'method-not-allowed',
            `${req.method} is not allowed here: use ${allow.join(', ')}`,
          ),
      });
    }
  };
}
