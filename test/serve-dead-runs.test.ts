/**
 * A run whose process dies while the studio's server is up (a CLI on the same database, killed)
 * shows `interrupted` there within seconds, resumable, instead of `running` until the server
 * restarts. Real server, real `statepipe run` child process, SIGKILL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAndKill } from '../src/cli/cli-test-kit.js';
import { startServer, type RunningServer } from '../src/server/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-dead-runs-'));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('serve and a run whose process dies meanwhile', () => {
  it('shows it interrupted within seconds, and resumes it', async () => {
    const db = path.join(dir, 'sp.db');
    server = await startServer({ dbPath: db, port: 0 });
    const api = `http://127.0.0.1:${server.port}/api`;
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'slow',
      nodes: [
        { id: 'wait', type: 'delay', config: { ms: 60_000 } },
        { id: 'out', type: 'output', config: { value: 'done' } },
      ],
      edges: [{ id: 'e1', source: 'wait', target: 'out' }],
    };
    const file = path.join(dir, 'slow.json');
    fs.writeFileSync(file, JSON.stringify(graph));
    // The CLI drives it on the same database, and dies (SIGKILL) while its delay runs.
    const runId = await runAndKill(file, db);
    const status = async () =>
      ((await (await fetch(`${api}/runs/${runId}`, { headers })).json()) as { status: string }).status;
    let seen = await status();
    for (let i = 0; i < 100 && seen !== 'interrupted'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await status();
    }
    expect(seen).toBe('interrupted');
    const resumed = await fetch(`${api}/runs/${runId}/resume`, { method: 'POST', headers, body: '{}' });
    expect(resumed.status).toBe(200);
    expect(await status()).toBe('running');
  });
});
