/**
 * The built renderer, served by @fastify/static from one folder: nothing outside it, however
 * the path is spelled (`..`, encoded slashes, NUL bytes), no dotfiles, no directory listings.
 * `/` is the studio page, or a page saying how to build it.
 */
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ZodApp } from './zod-app.js';

const NOT_BUILT =
  '<!doctype html><title>statepipe</title><p>The studio is not built yet: run <code>npm run build</code>.</p>';

export async function staticRoutes(app: ZodApp, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    index: false,
    redirect: false,
    dotfiles: 'deny',
    cacheControl: false, // every answer is no-store (zod-app.ts)
    etag: false,
    lastModified: false,
    schemaHide: true,
  });
  app.get('/', { schema: { hide: true } }, (_req, reply) =>
    existsSync(join(root, 'index.html'))
      ? reply.sendFile('index.html')
      : reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT),
  );
}
