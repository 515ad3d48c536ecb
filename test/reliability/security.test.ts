/**
 * Security: the web host's token, Origin and static-file boundary; secrets kept out of
 * everything the CLI writes; a graph file cannot make statepipe read or write files other
 * than those the user named.
 */
import { request } from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openAiServer, type FakeServer } from '../../src/host/providers/test-servers.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { cli, tempDir } from '../cli-harness.js';

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A raw GET (no URL normalisation by the client), returning status and body. */
function rawGet(
  port: number,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function socketStatus(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
    ws.once('error', (e) => resolve(`error ${e.message}`));
  });
}

describe('the web host', () => {
  let server: RunningServer;
  const staticRoot = path.join(dir, 'www', 'renderer');
  beforeAll(async () => {
    fs.mkdirSync(staticRoot, { recursive: true });
    fs.writeFileSync(path.join(staticRoot, 'index.html'), '<!doctype html><title>studio</title>');
    // A sibling whose name starts like the static root, and a secret above it.
    fs.mkdirSync(path.join(dir, 'www', 'renderer-private'));
    fs.writeFileSync(path.join(dir, 'www', 'renderer-private', 'secret.txt'), 'SIBLING-SECRET');
    fs.writeFileSync(path.join(dir, 'www', 'secret.txt'), 'PARENT-SECRET');
    server = await startServer({ dbPath: path.join(dir, 'web.db'), port: 0, staticDir: staticRoot });
  });
  afterAll(() => server.close());

  it('refuses a missing or wrong token on pages, static files and the API', async () => {
    // The token with its last character changed (a random token may already end in any one).
    const wrong = (x: string) => x.slice(0, -1) + (x.endsWith('x') ? 'y' : 'x');
    const t = server.token;
    expect((await rawGet(server.port, '/')).status).toBe(401);
    expect((await rawGet(server.port, '/index.html?token=nope')).status).toBe(401);
    expect((await rawGet(server.port, '/', { authorization: `Bearer ${wrong(t)}` })).status).toBe(401);
    expect((await rawGet(server.port, '/', { cookie: 'statepipe_token=wrong' })).status).toBe(401);
    const ok = await rawGet(server.port, `/?token=${t}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('studio');
  });

  it('serves no file outside its folder, however the path is spelled', async () => {
    const t = `token=${server.token}`;
    const attempts = [
      '/..%2f..%2fetc/passwd',
      '/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2e%2e%2fsecret.txt',
      '/..%5c..%5cetc%5cpasswd',
      '/../secret.txt',
      '/..%2frenderer-private%2fsecret.txt',
      '/%2fetc%2fpasswd',
      '//etc/passwd',
      '/....//....//etc/passwd',
      '/index.html%00.png',
    ];
    for (const p of attempts) {
      const r = await rawGet(server.port, `${p}${p.includes('?') ? '&' : '?'}${t}`);
      expect(r.status, p).not.toBe(200);
      expect(r.body, p).not.toMatch(/root:|SECRET/);
    }
  });

  it('refuses WebSocket upgrades from a foreign Origin even with the right token', async () => {
    const url = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
    for (const origin of [
      'http://evil.example',
      'null',
      `http://127.0.0.1:${server.port + 1}`,
      `http://localhost.evil.example:${server.port}`,
      `https://127.0.0.1:${server.port}`,
    ]) {
      expect(await socketStatus(url, { origin }), origin).toBe('HTTP 401');
    }
    expect(
      await socketStatus(`ws://127.0.0.1:${server.port}/ws?token=wrong`, { origin: `http://127.0.0.1:${server.port}` }),
    ).toBe('HTTP 401');
    expect(await socketStatus(url, { origin: `http://127.0.0.1:${server.port}` })).toBe('open');
  });
});

describe('secrets', () => {
  const KEY = 'sk-proj-CLILEAK-5e4d3c2b1a0f9e8d7c6b';
  let oa: FakeServer;
  beforeAll(async () => {
    oa = await openAiServer();
  });
  afterAll(() => oa.close());

  it('an API key from the environment is in no database byte, export, JSONL or stderr line of the CLI', async () => {
    const db = path.join(dir, 'keys.db');
    const jsonl = path.join(dir, 'keys.jsonl');
    const graphFile = path.join(dir, 'keys.json');
    fs.writeFileSync(
      graphFile,
      JSON.stringify({
        format: 'statepipe.graph',
        version: 1,
        id: 'keys',
        defaults: { retry: { maxAttempts: 1, backoffMs: 1, strategy: 'fixed', jitter: false } },
        nodes: [
          { id: 'start', type: 'input' },
          { id: 'ask', type: 'llm', config: { provider: 'openai', model: 'gpt-4o-mini', prompt: 'Hi' } },
        ],
        edges: [{ id: 'e1', source: 'start', target: 'ask' }],
      }),
    );
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${oa.url}/v1` };
    // A provider error that echoes the key, with --verbose (stacks on stderr), then a success.
    oa.queue.push({ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } });
    const failed = await cli(['run', graphFile, '--db', db, '--verbose', '--jsonl', jsonl, '--json'], { env });
    expect(failed.code, failed.stderr).toBe(1);
    oa.queue.push({ text: 'hello' });
    const ok = await cli(['run', graphFile, '--db', db, '--verbose', '--jsonl', jsonl, '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(oa.seen.length).toBeGreaterThanOrEqual(2);
    expect(oa.seen.every((s) => s.headers.authorization === `Bearer ${KEY}`)).toBe(true); // the key was used
    const outputs = [failed.stdout, failed.stderr, ok.stdout, ok.stderr, fs.readFileSync(jsonl, 'utf8')];
    for (const runId of [failed, ok].map((r) => (JSON.parse(r.stdout) as { runId: string }).runId)) {
      for (const args of [
        ['export', runId],
        ['inspect', runId, '--json'],
        ['inspect', runId, '--node', 'ask'],
        ['export-graph', runId],
      ]) {
        const r = await cli([...args, '--db', db, '--verbose'], { env });
        expect(r.code, r.stderr).toBe(0);
        outputs.push(r.stdout, r.stderr);
      }
    }
    const all = outputs.join('\n');
    expect(all).toContain('Incorrect API key provided'); // the echo was there, scrubbed
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(KEY.slice(10));
    for (const f of [db, `${db}-wal`, `${db}-shm`]) {
      if (!fs.existsSync(f)) continue;
      const bytes = fs.readFileSync(f);
      expect(bytes.includes(Buffer.from(KEY.slice(10))), f).toBe(false);
    }
  });
});

describe('a graph file reaches only the files the user named', () => {
  const listTree = (root: string): string[] =>
    fs.readdirSync(root, { recursive: true, withFileTypes: false }).map(String).sort();

  it('ids that look like paths are refused by validation (exit 2, nothing written)', async () => {
    const work = path.join(dir, 'ids');
    fs.mkdirSync(work);
    const base = {
      format: 'statepipe.graph',
      version: 1,
      id: 'ok',
      nodes: [{ id: 'start', type: 'input' }],
      edges: [] as unknown[],
    };
    const bad = [
      { ...base, id: '../../etc/cron.d/x' },
      { ...base, id: '/tmp/abs' },
      { ...base, id: '..' },
      { ...base, nodes: [{ id: '../start', type: 'input' }] },
      {
        ...base,
        nodes: [
          { id: 'start', type: 'input' },
          { id: 'a\\b', type: 'input' },
        ],
      },
      { ...base, nodes: [{ id: 'start', type: 'input' }], edges: [{ id: '../e', source: 'start', target: 'start' }] },
    ];
    for (const [i, g] of bad.entries()) {
      const f = path.join(work, `g${i}.json`);
      fs.writeFileSync(f, JSON.stringify(g));
      const before = listTree(work);
      const r = await cli(['run', f, '--db', path.join(work, 'never.db')]);
      expect(r.code, `${JSON.stringify(g)}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(listTree(work)).toEqual(before);
    }
  });

  it('export-graph --out writes the named file and nothing else; without --out it writes no file', async () => {
    const work = path.join(dir, 'export');
    fs.mkdirSync(work);
    const db = path.join(work, 'x.db');
    const graphFile = path.join(work, 'g.json');
    fs.writeFileSync(
      graphFile,
      JSON.stringify({
        format: 'statepipe.graph',
        version: 1,
        id: 'exported',
        name: '../../../../tmp/evil',
        nodes: [{ id: 'start', type: 'input', label: '/etc/passwd' }],
        edges: [],
      }),
    );
    const run = await cli(['run', graphFile, '--db', db, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const before = listTree(work);
    const out = path.join(work, 'out', 'chosen.json');
    fs.mkdirSync(path.dirname(out));
    const r = await cli(['export-graph', 'exported', '--db', db, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      listTree(work)
        .filter((f) => !before.includes(f))
        .sort(),
    ).toEqual(['out', path.join('out', 'chosen.json')].sort());
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ id: 'exported', name: '../../../../tmp/evil' });
    expect(fs.existsSync('/tmp/evil')).toBe(false);
    const snapshot = listTree(work);
    const stdout = await cli(['export-graph', 'exported', '--db', db], { cwd: work });
    expect(stdout.code).toBe(0);
    expect(listTree(work)).toEqual(snapshot);
  });

  it('an http node cannot read a local file through a file: URL', async () => {
    const work = path.join(dir, 'fileurl');
    fs.mkdirSync(work);
    const secret = path.join(work, 'secret.txt');
    fs.writeFileSync(secret, 'LOCAL-FILE-SECRET');
    const graphFile = path.join(work, 'g.json');
    fs.writeFileSync(
      graphFile,
      JSON.stringify({
        format: 'statepipe.graph',
        version: 1,
        id: 'fileurl',
        defaults: { retry: { maxAttempts: 1, backoffMs: 1, strategy: 'fixed', jitter: false } },
        nodes: [
          { id: 'start', type: 'input' },
          { id: 'read', type: 'http', config: { method: 'GET', url: `file://${secret}` } },
        ],
        edges: [{ id: 'e1', source: 'start', target: 'read' }],
      }),
    );
    const db = path.join(work, 'f.db');
    const r = await cli(['run', graphFile, '--db', db, '--json']);
    expect(r.code).toBe(1);
    const events = await cli(['export', (JSON.parse(r.stdout) as { runId: string }).runId, '--db', db]);
    expect(r.stdout + r.stderr + events.stdout).not.toContain('LOCAL-FILE-SECRET');
  });
});
