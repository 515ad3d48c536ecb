/** Shared fixtures of the web host's tests (not a test file itself): a server on a temp database, and requests to it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type RunningServer } from './index.js';

export interface TestServer {
  readonly server: RunningServer;
  /** The database file (its folder is removed after the tests). */
  readonly dbPath: string;
  base(): string;
  auth(): { authorization: string };
  /** A JSON POST with the token; a string body goes as written. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
}

/** Starts a server before the file's tests and closes it after them. */
export function useTestServer(name: string, opts: { version?: string } = {}): TestServer {
  const dir = mkdtempSync(join(tmpdir(), `sp-${name}-`));
  const dbPath = join(dir, `${name}.db`);
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer({ dbPath, port: 0, ...opts });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const kit: TestServer = {
    get server() {
      if (!server) throw new Error('the test server has not started');
      return server;
    },
    dbPath,
    base: () => `http://127.0.0.1:${kit.server.port}`,
    auth: () => ({ authorization: `Bearer ${kit.server.token}` }),
    post: (path, body, headers = {}) =>
      fetch(`${kit.base()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...kit.auth(), ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (path, headers = {}) => fetch(`${kit.base()}${path}`, { headers: { ...kit.auth(), ...headers } }),
  };
  return kit;
}
