/**
 * An agent run by the real CLI in a child process, SIGKILLed right after its first tool call
 * was recorded, then resumed: each tool (http, against a local server that counts requests)
 * is called exactly once, and the finished steps are taken from the record.
 *
 * The agent's model is `openai-compatible` against a local server speaking the OpenAI wire
 * format, whose second turn is slow: that is the window in which the kill lands, so the test
 * does not race the child (with the mock provider the next tool call starts within a
 * millisecond of the step being printed). The same crash points with `mock.script` are
 * covered in src/core/nodes/agent.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/events.js';
import { StatepipeService } from '../service.js';
import { openAiServer, type FakeServer } from './test-servers.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin', 'statepipe.js');

let llm: FakeServer;
let tools: Server;
let toolsUrl = '';
const toolHits: { path: string; key: string | undefined }[] = [];

beforeAll(async () => {
  llm = await openAiServer();
  tools = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      toolHits.push({
        path: (req.url ?? '').split('?')[0]!,
        key: req.headers['idempotency-key'] as string | undefined,
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.startsWith('/lookup') ? { vendor: 'acme', country: 'NO' } : { score: 7 }));
    });
  });
  await new Promise<void>((r) => tools.listen(0, '127.0.0.1', r));
  toolsUrl = `http://127.0.0.1:${(tools.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await llm.close();
  tools.closeAllConnections();
  await new Promise<void>((r) => tools.close(() => r()));
});

/** Turn n of the conversation is decided by how many tool results the request carries. */
function script(onSecondTurn: () => void) {
  let slow = true;
  llm.respond = (req) => {
    const messages = req.body['messages'] as { role: string }[];
    const results = messages.filter((m) => m.role === 'tool').length;
    if (results === 0) return { toolCall: { id: 'call_a', name: 'lookup', args: { vendor: 'acme' } } };
    if (results === 1) {
      // The first time, the turn that asks for the second tool is slow (a real model thinks).
      const delayMs = slow ? 3000 : 0;
      if (slow) onSecondTurn();
      slow = false;
      return { toolCall: { id: 'call_b', name: 'score', args: { country: 'NO' } }, delayMs };
    }
    return { text: '{"verdict":"approve","score":7}', usage: { input: 50, output: 9 } };
  };
}

function graphFile(dir: string): string {
  const graph = {
    format: 'statepipe.graph',
    version: 1,
    id: 'agent-crash',
    name: 'agent crash',
    defaults: { retry: { maxAttempts: 2, backoffMs: 10, strategy: 'fixed', jitter: false }, timeoutMs: 30000 },
    nodes: [
      { id: 'start', type: 'input' },
      {
        id: 'review',
        type: 'agent',
        config: {
          provider: 'openai-compatible',
          baseURL: `${llm.url}/v1`,
          model: 'qwen2.5:7b',
          prompt: 'Review vendor {{input.vendor}}',
          outputSchema: { type: 'object', required: ['verdict'] },
          maxSteps: 5,
          tools: [
            {
              name: 'lookup',
              description: 'Vendor registry',
              inputSchema: { type: 'object', properties: { vendor: { type: 'string' } }, required: ['vendor'] },
              run: { type: 'http', config: { method: 'GET', url: `${toolsUrl}/lookup/{{args.vendor}}` } },
            },
            {
              name: 'score',
              description: 'Risk score of a country',
              inputSchema: { type: 'object', properties: { country: { type: 'string' } } },
              run: { type: 'http', config: { method: 'POST', url: `${toolsUrl}/score` } },
            },
          ],
        },
      },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'review' }],
  };
  const file = join(dir, 'graph.json');
  writeFileSync(file, JSON.stringify(graph, null, 2));
  return file;
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

/**
 * Starts the run in a child CLI, SIGKILLs it (when the first tool step is printed, or when the
 * model's second turn has begun), resumes it with `statepipe resume`, and checks every promise.
 */
async function crashAndResume(killWhen: 'tool-step-printed' | 'second-model-turn'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sp-agent-kill-'));
  const db = join(dir, 'sp.db');
  const file = graphFile(dir);
  toolHits.length = 0;
  llm.seen.length = 0;
  const env = { ...process.env, NO_COLOR: '1', STATEPIPE_LIMITS: '', OPENAI_COMPATIBLE_API_KEY: 'sk-local-kill-test' };

  const child = spawn(
    process.execPath,
    [BIN, 'run', file, '--db', db, '--jsonl', '-', '--input', '{"vendor":"acme"}'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const printed: RunEvent[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  script(() => {
    if (killWhen === 'second-model-turn') child.kill('SIGKILL');
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const e = JSON.parse(line) as RunEvent;
    printed.push(e);
    if (
      killWhen === 'tool-step-printed' &&
      e.type === 'agent.step' &&
      (e.data as { step: { kind: string } }).step.kind === 'tool'
    )
      child.kill('SIGKILL');
  });
  const exit = await exited;
  expect(exit.signal, `the child was not killed: ${stderr}`).toBe('SIGKILL');
  const toolStep = printed.find(
    (e) => e.type === 'agent.step' && (e.data as { step: { kind: string } }).step.kind === 'tool',
  );
  expect(toolStep, 'the first tool step was printed').toBeDefined();
  expect(printed.some((e) => e.type === 'node.succeeded' && e.nodeId === 'review')).toBe(false);
  expect(toolHits.map((h) => h.path)).toEqual(['/lookup/acme']);
  const runId = toolStep!.runId;

  const resumed = await runCli(['resume', runId, '--db', db, '--json'], env);
  expect(resumed.status, resumed.stderr).toBe(0);
  expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');

  // Each tool exactly once: lookup was taken from the record, score ran after the resume.
  expect(toolHits.map((h) => h.path)).toEqual(['/lookup/acme', '/score']);
  expect(toolHits[0]!.key).toBe(`${runId}:review:1:step-1`);
  expect(toolHits[1]!.key).toBe(`${runId}:review:1:step-3`); // the resumed attempt keeps its number
  // Model calls: the lookup turn, the second turn (again, when the kill cut it), the answer.
  expect(llm.seen.length).toBe(killWhen === 'second-model-turn' ? 4 : 3);
  expect(JSON.stringify(llm.seen.at(-1)!.body['messages'])).toContain('\\"country\\":\\"NO\\"'); // the recorded lookup result, replayed

  const svc = await StatepipeService.open({ dbPath: db });
  try {
    const events = await svc.events(runId);
    const steps = events
      .filter((e) => e.type === 'agent.step')
      .map((e) => e.data as { index: number; step: { kind: string; name?: string } });
    expect(steps.map((s) => `${s.index}:${s.step.kind}${s.step.name ? `:${s.step.name}` : ''}`)).toEqual([
      '0:model',
      '1:tool:lookup',
      '2:model',
      '3:tool:score',
      '4:model',
    ]);
    const done = events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'review')!.data as {
      output: { json: unknown; steps: unknown[] };
    };
    expect(done.output.json).toEqual({ verdict: 'approve', score: 7 });
    expect(done.output.steps.length).toBe(5);
    expect(events.some((e) => e.type === 'run.interrupted')).toBe(true);
  } finally {
    await svc.close();
  }
}

describe('agent durability across a SIGKILL', () => {
  it('killed when its first tool step is printed: resumes without repeating the tool', async () => {
    await crashAndResume('tool-step-printed');
  });

  it('killed during the model call after the first tool: resumes without repeating the tool', async () => {
    await crashAndResume('second-model-turn');
  });
});
