/**
 * API keys set in the environment never reach the database (file bytes and every row),
 * events, log lines or exports, even when a provider echoes them in an error.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Graph } from '../../core/graph/schema.js';
import { StatepipeService } from '../service.js';
import { anthropicServer, openAiServer, type FakeServer } from './test-servers.js';

const OPENAI_KEY = 'sk-proj-LEAKCHECK-9f8e7d6c5b4a39281706';
const ANTHROPIC_KEY = 'sk-ant-api03-LEAKCHECK-0a1b2c3d4e5f6071';
const VARS = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'] as const;

let oa: FakeServer;
let an: FakeServer;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  oa = await openAiServer();
  an = await anthropicServer();
  for (const v of VARS) saved[v] = process.env[v];
  process.env['OPENAI_API_KEY'] = OPENAI_KEY;
  process.env['OPENAI_BASE_URL'] = `${oa.url}/v1`;
  process.env['ANTHROPIC_API_KEY'] = ANTHROPIC_KEY;
  process.env['ANTHROPIC_BASE_URL'] = `${an.url}/v1`;
});
afterAll(async () => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  await oa.close();
  await an.close();
});

function graph(id: string, provider: string, model: string, extra: Record<string, unknown> = {}): Graph {
  return {
    format: 'statepipe.graph',
    version: 1,
    id,
    name: id,
    defaults: { retry: { maxAttempts: 2, backoffMs: 10, strategy: 'fixed', jitter: false } },
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'ask', type: 'llm', config: { provider, model, prompt: 'Hello {{input.name}}', ...extra } },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'ask' }],
  } as unknown as Graph;
}

describe('keys stay out of everything we keep', () => {
  it('no database byte or row, event, log line or export holds a key', async () => {
    const lines: string[] = [];
    const record =
      (name: string) =>
      (...args: unknown[]) => {
        lines.push(
          `${name}: ${args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`,
        );
      };
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(record(m)),
    );
    const dir = mkdtempSync(join(tmpdir(), 'sp-keys-'));
    const dbPath = join(dir, 'sp.db');
    const svc = await StatepipeService.open({ dbPath });
    const runs: string[] = [];
    try {
      // 1. succeeds; 2. a 401 that echoes the key; 3. a 429 that echoes it, then succeeds;
      // 4. Anthropic's 400 echoing its key; 5. a model without a price (one log line).
      oa.queue.push({ text: 'hi there' });
      runs.push((await svc.startRun(graph('k1', 'openai', 'gpt-4o-mini'), { name: 'a' })).runId);
      oa.queue.push({
        status: 401,
        body: {
          error: {
            message: `Incorrect API key provided: ${OPENAI_KEY}. Header was Authorization: Bearer ${OPENAI_KEY}`,
          },
        },
      });
      const failed = await svc.startRun(graph('k2', 'openai', 'gpt-4o-mini'), { name: 'b' });
      expect(failed.status).toBe('failed');
      runs.push(failed.runId);
      oa.queue.push({
        status: 429,
        headers: { 'retry-after-ms': '50' },
        body: { error: { message: `rate limited for key ${OPENAI_KEY}` } },
      });
      oa.queue.push({ text: 'after the wait' });
      runs.push((await svc.startRun(graph('k3', 'openai', 'gpt-4o'), { name: 'c' })).runId);
      an.queue.push({
        status: 400,
        body: {
          type: 'error',
          error: { type: 'invalid_request_error', message: `x-api-key ${ANTHROPIC_KEY} is not allowed` },
        },
      });
      runs.push((await svc.startRun(graph('k4', 'anthropic', 'claude-haiku-4-5'), { name: 'd' })).runId);
      oa.queue.push({ text: 'unpriced' });
      runs.push((await svc.startRun(graph('k5', 'openai', 'my-private-finetune'), { name: 'e' })).runId);

      // The keys were really used (so the test means something).
      expect(oa.seen.every((s) => s.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
      expect(an.seen[0]!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
      expect(lines.some((l) => l.includes('my-private-finetune'))).toBe(true);

      const kept: string[] = [];
      for (const id of runs) {
        kept.push((await svc.events(id)).map((e) => JSON.stringify(e)).join('\n'));
        kept.push(JSON.stringify(await svc.inspect(id)));
        kept.push(await svc.exportGraph(id));
      }
      kept.push(JSON.stringify(await svc.list()));
      const all = kept.join('\n');
      expect(all).toContain('***'); // the echoes were there, scrubbed
      expect(all).toContain('Incorrect API key provided');
      for (const key of [OPENAI_KEY, ANTHROPIC_KEY]) {
        expect(all).not.toContain(key);
        expect(all).not.toContain(key.slice(8)); // no partial echo either
      }
    } finally {
      await svc.close();
      for (const s of spies) s.mockRestore();
    }
    for (const key of [OPENAI_KEY, ANTHROPIC_KEY]) {
      expect(lines.join('\n')).not.toContain(key);
    }

    // Every byte of the database files, and every row of every table.
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      for (const key of [OPENAI_KEY, ANTHROPIC_KEY]) {
        expect(bytes.includes(Buffer.from(key, 'utf8')), `${f} holds a key`).toBe(false);
        expect(bytes.includes(Buffer.from(key, 'utf16le')), `${f} holds a key (utf16)`).toBe(false);
      }
    }
    const db = new Database(dbPath, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      expect(tables.length).toBeGreaterThan(3);
      let rows = 0;
      for (const { name } of tables) {
        for (const row of db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all() as Record<
          string,
          unknown
        >[]) {
          rows++;
          const text = Object.values(row)
            .map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)))
            .join('\u0000');
          for (const key of [OPENAI_KEY, ANTHROPIC_KEY])
            expect(text.includes(key), `table ${name} holds a key`).toBe(false);
        }
      }
      expect(rows).toBeGreaterThan(20);
    } finally {
      db.close();
    }
  });
});
