/**
 * Property-based fuzzing (fast-check). Random graphs, valid and mutated (dropped fields, wrong
 * types, cycles, dangling edges, bad templates, path-like ids), go through validateGraph and
 * the engine (MemoryStore + simulated clock): never a crash, always either AppError('validation')
 * with issues naming a path, or a run that ends succeeded, failed or waiting. Random payloads
 * through dispatch(): always a value or a coded error (never `internal`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../../src/contract/method-names.js';
import { testEngine } from '../../src/core/engine/test-kit.js';
import { AppError } from '../../src/core/errors.js';
import { validateGraph } from '../../src/core/graph/validate.js';
import { dispatch, type DispatchContext } from '../../src/host/dispatch.js';
import { StatepipeService } from '../../src/host/service.js';

type Obj = Record<string, unknown>;
const TYPES = ['transform', 'llm', 'condition', 'code', 'http', 'approval', 'delay', 'output'] as const;

/** A valid graph: nodes n0..nk in topological order, every edge from a lower to a higher index. */
const validGraph = fc
  .record({
    types: fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 7 }),
    extraEdges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
    failing: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    concurrency: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ types, extraEdges, failing, concurrency }): Obj => {
    const nodes: Obj[] = [{ id: 'n0', type: 'input' }];
    const edges: Obj[] = [];
    const parents = new Map<number, number[]>();
    const link = (s: number, t: number, when?: boolean): void => {
      if (edges.some((e) => e['source'] === `n${s}` && e['target'] === `n${t}`)) return;
      edges.push({ id: `e${edges.length}`, source: `n${s}`, target: `n${t}`, ...(when === undefined ? {} : { when }) });
      parents.set(t, [...(parents.get(t) ?? []), s]);
    };
    types.forEach((_, i) => link(Math.floor((i + 1) / 2), i + 1)); // a tree first, so everything is reachable
    for (const [a, b] of extraEdges) {
      const s = a % (types.length + 1);
      const t = b % (types.length + 1);
      if (s < t) link(s, t);
    }
    types.forEach((type, i) => {
      const id = `n${i + 1}`;
      const up = `n${parents.get(i + 1)?.[0] ?? 0}`;
      const ref = `{{nodes.${up}.output}}`;
      const config: Obj = {
        transform: { template: { from: ref } },
        llm: {
          provider: 'mock',
          model: 'mock-1',
          prompt: `Say ${ref}`,
          mock: { reply: 'fine', tokensPerSecond: 0, ...(failing[i] ? { failTimes: 5 } : {}) },
        },
        condition: { expression: `$exists(nodes.${up}.output)` },
        code: { code: failing[i] ? 'throw new Error("no")' : 'return 1' },
        http: { method: 'GET', url: 'http://127.0.0.1:9/x' },
        approval: { title: 'ok?' },
        delay: { ms: 50 },
        output: { value: ref },
      }[type];
      nodes.push({ id, type, config });
    });
    // Edges leaving a condition carry `when`.
    for (const e of edges) {
      const src = nodes.find((n) => n['id'] === e['source'])!;
      if (src['type'] === 'condition') e['when'] = Number(String(e['target']).slice(1)) % 2 === 0;
    }
    return {
      format: 'statepipe.graph',
      version: 1,
      id: 'fuzz',
      concurrency,
      defaults: { retry: { maxAttempts: 2, backoffMs: 1, strategy: 'fixed', jitter: false } },
      nodes,
      edges,
    };
  });

const junk = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string({ maxLength: 5 }),
  fc.constant([]),
  fc.constant({}),
  fc.boolean(),
);

/** One mutation of a valid graph (each a way a hand-edited or hostile file can be wrong). */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop-top'), key: fc.constantFrom('format', 'version', 'id', 'nodes', 'edges') }),
  fc.record({ kind: fc.constant('drop-node-field'), i: fc.nat(), key: fc.constantFrom('id', 'type', 'config') }),
  fc.record({
    kind: fc.constant('drop-config-field'),
    i: fc.nat(),
    key: fc.constantFrom(
      'prompt',
      'provider',
      'model',
      'template',
      'expression',
      'code',
      'url',
      'method',
      'title',
      'ms',
      'value',
    ),
  }),
  fc.record({ kind: fc.constant('drop-edge-field'), i: fc.nat(), key: fc.constantFrom('id', 'source', 'target') }),
  fc.record({
    kind: fc.constant('wrong-type-top'),
    key: fc.constantFrom('format', 'version', 'id', 'nodes', 'edges', 'concurrency', 'defaults', 'input', 'budget'),
    v: junk,
  }),
  fc.record({
    kind: fc.constant('wrong-type-node'),
    i: fc.nat(),
    key: fc.constantFrom('id', 'type', 'config', 'retry', 'timeoutMs', 'sideEffect'),
    v: junk,
  }),
  fc.record({
    kind: fc.constant('wrong-type-config'),
    i: fc.nat(),
    key: fc.constantFrom('prompt', 'mock', 'template', 'code', 'url', 'ms', 'title'),
    v: junk,
  }),
  fc.record({ kind: fc.constant('cycle'), i: fc.nat() }),
  fc.record({ kind: fc.constant('dangling'), i: fc.nat(), end: fc.constantFrom('source', 'target') }),
  fc.record({
    kind: fc.constant('bad-template'),
    i: fc.nat(),
    t: fc.constantFrom(
      '{{ nodes.( }}',
      '{{',
      '{{ nodes.zz.output }}',
      '{{ nodes.n99.output }}',
      '{{}}',
      '{{ $eval("1") }}',
    ),
  }),
  fc.record({ kind: fc.constant('downstream-ref'), i: fc.nat() }),
  fc.record({
    kind: fc.constant('path-id'),
    i: fc.nat(),
    id: fc.constantFrom('../etc', '..\\x', 'a/b', '/abs', '.', '..', '', 'x'.repeat(65)),
  }),
  fc.record({ kind: fc.constant('duplicate'), i: fc.nat() }),
);

function mutate(g: Obj, m: Obj): Obj {
  const c = structuredClone(g) as Obj & { nodes: Obj[]; edges: Obj[] };
  // An earlier mutation may have replaced the lists themselves: then only top-level ones apply.
  const lists =
    Array.isArray(c.nodes) &&
    c.nodes.length > 0 &&
    c.nodes.every((n) => n && typeof n === 'object') &&
    Array.isArray(c.edges) &&
    c.edges.every((e) => e && typeof e === 'object');
  if (!lists && m['kind'] !== 'drop-top' && m['kind'] !== 'wrong-type-top') return c;
  const node = (i: unknown): Obj => c.nodes[Number(i) % c.nodes.length]!;
  const edge = (i: unknown): Obj | undefined => c.edges[Number(i) % Math.max(1, c.edges.length)];
  const key = String(m['key']);
  switch (m['kind']) {
    case 'drop-top':
      delete c[key];
      break;
    case 'drop-node-field':
      delete node(m['i'])[key];
      break;
    case 'drop-config-field':
      delete ((node(m['i'])['config'] ?? {}) as Obj)[key];
      break;
    case 'drop-edge-field':
      if (edge(m['i'])) delete edge(m['i'])![key];
      break;
    case 'wrong-type-top':
      c[key] = m['v'];
      break;
    case 'wrong-type-node':
      node(m['i'])[key] = m['v'];
      break;
    case 'wrong-type-config':
      node(m['i'])['config'] = { ...((node(m['i'])['config'] ?? {}) as Obj), [key]: m['v'] };
      break;
    case 'cycle': {
      const last = c.nodes[c.nodes.length - 1]!['id'];
      c.edges.push({ id: 'back', source: last, target: node(m['i'])['id'] });
      break;
    }
    case 'dangling':
      c.edges.push({
        id: 'ghost',
        source: 'n0',
        target: 'ghost',
        ...(m['end'] === 'source' ? { source: 'ghost', target: 'n0' } : {}),
      });
      break;
    case 'bad-template':
      node(Number(m['i']) + 1)['config'] = {
        ...((node(Number(m['i']) + 1)['config'] ?? {}) as Obj),
        prompt: m['t'],
        template: m['t'],
        value: m['t'],
        url: m['t'],
      };
      break;
    case 'downstream-ref':
      c.nodes[0] = {
        id: 'n0',
        type: 'transform',
        config: { template: `{{nodes.${c.nodes[c.nodes.length - 1]!['id']}.output}}` },
      };
      break;
    case 'path-id':
      node(m['i'])['id'] = m['id'];
      break;
    case 'duplicate':
      c.nodes.push(structuredClone(node(m['i'])));
      break;
  }
  return c;
}

/** The contract of a refusal: AppError('validation') with issues that name a path and say why. */
function expectValidationError(err: unknown): void {
  expect(err).toBeInstanceOf(AppError);
  const e = err as AppError;
  expect(e.code).toBe('validation');
  expect(e.message.split('\n')).toHaveLength(1);
  expect(Array.isArray(e.issues) && e.issues.length > 0).toBe(true);
  for (const i of e.issues!) {
    expect(typeof i.path).toBe('string');
    expect(typeof i.message).toBe('string');
  }
}

const runners = {
  code: async (ctx: { config: Obj }) => {
    if (String(ctx.config['code']).startsWith('throw')) throw new Error('no');
    return { output: 1 };
  },
  http: async () => ({ output: { status: 200, headers: {}, body: { ok: true } } }),
};

async function runToEnd(g: ReturnType<typeof validateGraph>): Promise<string> {
  const { engine } = testEngine(runners as never);
  const outcome = await engine.start(g, {}, { graphHash: 'fuzz' });
  return outcome.status;
}

describe('fuzzing the graph validator and the engine', () => {
  it('valid random graphs validate and run to succeeded, failed or waiting', async () => {
    await fc.assert(
      fc.asyncProperty(validGraph, async (raw) => {
        const g = validateGraph(raw);
        expect(['succeeded', 'failed', 'waiting']).toContain(await runToEnd(g));
      }),
      { numRuns: 150, seed: 20261122 },
    );
  });

  it('mutated graphs are refused with a validation error naming a path, or run to an end', async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(validGraph, fc.array(mutation, { minLength: 1, maxLength: 3 }), async (raw, ms) => {
        const g = ms.reduce((acc, m) => mutate(acc, m as Obj), raw);
        let valid: ReturnType<typeof validateGraph>;
        try {
          valid = validateGraph(g, 'fuzz.json');
        } catch (err) {
          expectValidationError(err);
          refused++;
          return;
        }
        // Accepted after mutation (e.g. a dropped optional field): then it must run to an end,
        // and its ids are still plain (no path separators, no dot segments).
        for (const n of valid.nodes) expect(n.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(['succeeded', 'failed', 'waiting']).toContain(await runToEnd(valid));
      }),
      { numRuns: 400, seed: 7 },
    );
    expect(refused).toBeGreaterThan(200);
  });

  it('arbitrary JSON values are refused cleanly', async () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            format: fc.constant('statepipe.graph'),
            version: fc.constant(1),
            id: fc.string(),
            nodes: fc.anything(),
            edges: fc.anything(),
          }),
        ),
        (v) => {
          try {
            validateGraph(v);
          } catch (err) {
            expectValidationError(err);
          }
        },
      ),
      { numRuns: 500, seed: 3 },
    );
  });
});

describe('fuzzing dispatch()', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-fuzz-'));
  const errors: unknown[] = [];
  let service: StatepipeService;
  let ctx: DispatchContext;
  beforeAll(async () => {
    service = await StatepipeService.open({ dbPath: path.join(dir, 'sp.db') });
    ctx = { service, host: 'web', version: 'fuzz', onBackgroundError: (e) => errors.push(e) };
  });
  afterAll(async () => {
    await service.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const CODES = ['bad-request', 'validation', 'not-found', 'illegal-transition', 'conflict'];
  const runId = fc.constantFrom('run_01ABCDEFGHJKMNPQRSTVWXYZ01', 'run_x', '../../etc/passwd', '');
  const payload = fc.oneof(
    fc.anything(),
    fc.record(
      {
        runId,
        nodeId: fc.string({ maxLength: 70 }),
        approved: fc.anything(),
        output: fc.anything(),
        afterSeq: fc.anything(),
        limit: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    fc.record(
      { graph: fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())), input: fc.anything() },
      { requiredKeys: [] },
    ),
    fc.record(
      { graphIdOrRunId: fc.oneof(fc.string(), runId), status: fc.anything(), sort: fc.anything(), text: fc.string() },
      { requiredKeys: [] },
    ),
  );

  it('every method answers random payloads with a value or a coded error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...API_METHOD_NAMES), fc.string(), fc.anything()),
        payload,
        async (method, input) => {
          const r = await dispatch(ctx, method, input);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) {
            expect(
              CODES,
              `${typeof method === 'string' ? method : typeof method} → ${r.error.code}: ${r.error.message}`,
            ).toContain(r.error.code);
            expect(typeof r.error.message).toBe('string');
          }
          JSON.stringify(r); // what a host sends back must serialize
        },
      ),
      { numRuns: 1500, seed: 11 },
    );
    expect(errors).toEqual([]);
  });
});
