import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { GraphNode } from '../../core/graph/schema.js';
import { asRunId } from '../../core/ids.js';
import type { NodeRunContext } from '../../core/ports.js';
import { CodeSandbox, codeRunner, workerFilename } from './code.js';
import { ProcessPool } from './code-pool.js';
import { nodeFailure as failure } from '../../core/engine/test-kit.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const docPipeline = JSON.parse(readFileSync(join(root, 'examples/document-pipeline.json'), 'utf8')) as {
  nodes: { id: string; config?: { code?: string } }[];
};
const keywordsCode = docPipeline.nodes.find((n) => n.id === 'keywords')!.config!.code!;

const sandbox = new CodeSandbox({ maxThreads: 2 });
afterAll(() => sandbox.close());

const never = new AbortController().signal;
const run = (
  code: string,
  input: unknown = {},
  nodes: Record<string, unknown> = {},
  timeoutMs = 2000,
): Promise<unknown> => sandbox.run(code, { input, nodes }, { timeoutMs, signal: never });

describe('CodeSandbox', () => {
  it("runs document-pipeline's keywords code", async () => {
    const text = 'The cat and the dog. The cat sat. A dog ran; the cat slept and the bird sang.';
    const out = await run(keywordsCode, { text });
    expect(out).toEqual(['the', 'cat', 'and', 'dog', 'sat']);
  });

  it('returns JSON values, awaits promises and passes nodes', async () => {
    expect(
      await run('return nodes.extract.json.entities.length', {}, { extract: { json: { entities: ['a', 'b'] } } }),
    ).toBe(2);
    expect(await run('return (async () => { await null; return { ok: true } })()')).toEqual({ ok: true });
    expect(await run('const x = 1;')).toBeNull();
  });

  const blocked: [string, string, RegExp][] = [
    [
      'require',
      "return require('fs').readFileSync('/etc/passwd', 'utf8')",
      /^code: ReferenceError: require is not defined$/,
    ],
    ['process', 'process.exit(1)', /^code: ReferenceError: process is not defined$/],
    ['import()', "return import('fs')", /^code: import\(\) is not allowed/],
    ['fetch', "return fetch('http://x')", /^code: ReferenceError: fetch is not defined$/],
    ['setTimeout', 'setTimeout(() => {}, 1)', /^code: ReferenceError: setTimeout is not defined$/],
    ['eval', "return eval('1 + 1')", /^code: EvalError: Code generation from strings disallowed/],
    ['realm escape', "return this.constructor.constructor('return process')().pid", /^code: EvalError/],
    ['a throw', "throw new Error('boom')", /^code: boom$/],
    ['a syntax error', 'return )', /^code: SyntaxError/],
    ['a non-JSON result', 'return 10n', /^code: the returned value is not JSON/],
  ];
  for (const [what, code, message] of blocked) {
    it(`fails only that call on ${what}`, async () => {
      const f = await failure(run(code));
      expect(f.kind).toBe('code');
      expect(f.retryable).toBe(false);
      expect(f.message).toMatch(message);
      expect(await run('return 1 + 1')).toBe(2);
    });
  }

  it('hands an import() rejection to the code without leaking the worker realm', async () => {
    const out = await run(
      "return import('fs').catch((e) => { try { return typeof e.constructor.constructor('return process')() } catch (x) { return 'blocked' } })",
    );
    expect(out).toBe('blocked');
  });

  it('stops a synchronous infinite loop at the time limit', async () => {
    const t0 = Date.now();
    const f = await failure(run('while (true) {}', {}, {}, 300));
    expect(f.kind).toBe('timeout');
    expect(f.message).toBe('code: time limit of 300 ms exceeded');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await run('return "still works"')).toBe('still works');
  });

  it('stops a promise that never settles and a microtask loop at the time limit', async () => {
    expect((await failure(run('return new Promise(() => {})', {}, {}, 300))).kind).toBe('timeout');
    expect(
      (
        await failure(
          // Each microtask queues the next and keeps nothing: a loop that also grew a promise chain
          // (`return Promise.resolve().then(f)`) could reach the 64 MB heap limit first on a fast core.
          run('Promise.resolve().then(function f() { Promise.resolve().then(f) }); return 1', {}, {}, 300),
        )
      ).kind,
    ).toBe('timeout');
    expect(await run('return 3')).toBe(3);
  });

  it('fails only that call when the code runs out of memory, even with another call running', async () => {
    const slow = run('let s = 0; for (let i = 0; i < 3e7; i++) s += i; return s > 0');
    const f = await failure(run('const a = []; while (true) a.push(new Array(1e6).fill(1))', {}, {}, 20_000));
    expect(f.kind).toBe('code');
    expect(f.message).toBe('code: out of memory (limit 64 MB)');
    expect(await slow).toBe(true);
    expect(await run('return [1, 2, 3].map((x) => x * 2)')).toEqual([2, 4, 6]);
  });

  // The limit counts every allocation, not only the JS heap (on Linux: an OS limit on the process).
  const external: [string, string][] = [
    ['a 4 GiB Uint8Array', 'const a = new Uint8Array(4 * 2 ** 30); a.fill(1); return a.length'],
    ['a 4 GiB ArrayBuffer', 'return new ArrayBuffer(2 ** 32).byteLength'],
    [
      'a resizable buffer grown to 4 GiB',
      'const b = new ArrayBuffer(1, { maxByteLength: 2 ** 32 }); b.resize(2 ** 32); return b.byteLength',
    ],
    [
      '200 buffers of 8 MB kept',
      'const k = []; for (let i = 0; i < 200; i++) k.push(new Uint8Array(8 * 2 ** 20).fill(1)); return k.length',
    ],
  ];
  for (const [what, code] of external) {
    it(`fails with out of memory on ${what} (external memory counts)`, async () => {
      if (process.platform !== 'linux') return; // the OS limit is Linux's RLIMIT_DATA
      expect(sandbox.limitsAllMemory).toBe(true);
      const f = await failure(run(code, {}, {}, 20_000));
      expect(f.kind).toBe('code');
      expect(f.message).toBe('code: out of memory (limit 64 MB)');
      expect(await run('return new Uint8Array(16 * 2 ** 20).fill(7)[5]')).toBe(7); // 16 MB is fine
    });
  }

  it('a runtime that cannot start under the data limit: the pool starts it with the heap limit only', async () => {
    if (process.platform !== 'linux') return;
    const pool = new ProcessPool({
      file: workerFilename(),
      heapMb: 64,
      dataLimitMb: 8,
      maxProcesses: 1,
      idleTimeoutMs: 1000,
    });
    try {
      const argsJson = JSON.stringify({ input: 2, nodes: {} });
      const r = await pool.run({ code: 'return input * 21', argsJson, timeoutMs: 5000 }, never);
      expect(r).toEqual({ ok: true, value: 42 });
      expect(pool.osLimit).toBe(false);
    } finally {
      await pool.close();
    }
  });

  it('is cancelled by its signal', async () => {
    const ac = new AbortController();
    const p = sandbox.run('while (true) {}', { input: {}, nodes: {} }, { timeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const f = await failure(p);
    expect(f.kind).toBe('cancelled');
    expect(await run('return "after cancel"')).toBe('after cancel');
  });
});

describe('codeRunner', () => {
  it('passes the run input and the upstream outputs', async () => {
    const config = { code: keywordsCode + ' /* */' };
    const node: GraphNode = { id: 'keywords', type: 'code', config, timeoutMs: 5000 };
    const ctx: NodeRunContext = {
      runId: asRunId('run_t'),
      node,
      attempt: 1,
      idempotencyKey: 'run_t:keywords:1',
      signal: never,
      timeoutMs: 5000,
      clock: { now: () => 0, sleep: async () => {}, timer: () => () => undefined },
      scope: { input: { text: 'b a b' }, nodes: { extract: { output: { text: 'x' } } } },
      config,
      emitTokens: () => {},
      log: () => {},
      recordedSteps: [],
      recordStep: async () => {},
      services: {},
    };
    expect(await codeRunner(sandbox)(ctx)).toEqual({ output: ['b', 'a'] });
    const nodesCtx = { ...ctx, config: { code: 'return Object.keys(nodes).concat(nodes.extract.text)' } };
    expect(await codeRunner(sandbox)(nodesCtx)).toEqual({ output: ['extract', 'x'] });
  });
});

describe('under node --import tsx', () => {
  it('runs the sandbox outside vitest too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statepipe-code-test-'));
    try {
      const script = join(dir, 'check.mts');
      const codeTs = join(root, 'src/host/runners/code.ts');
      writeFileSync(
        script,
        [
          `import { CodeSandbox } from ${JSON.stringify(codeTs)};`,
          `const sb = new CodeSandbox({ maxThreads: 1 });`,
          `const signal = new AbortController().signal;`,
          `const a = await sb.run(${JSON.stringify(keywordsCode)}, { input: { text: 'x y x' }, nodes: {} }, { timeoutMs: 2000, signal });`,
          `const b = await sb.run('while (true) {}', { input: {}, nodes: {} }, { timeoutMs: 200, signal }).catch((e) => e.kind);`,
          `const c = await sb.run("return require('fs')", { input: {}, nodes: {} }, { timeoutMs: 2000, signal }).catch((e) => e.message);`,
          `console.log(JSON.stringify({ a, b, c }));`,
          `await sb.close();`,
        ].join('\n'),
      );
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
        cwd: root,
        timeout: 25_000,
      });
      expect(JSON.parse(stdout.trim())).toEqual({
        a: ['x', 'y'],
        b: 'timeout',
        c: 'code: ReferenceError: require is not defined',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
