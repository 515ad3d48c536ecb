/**
 * Schemathesis-style property tests of the HTTP API (Schemathesis itself needs PyPI): requests
 * generated from the served OpenAPI document, valid and broken by its schemas, sent over real
 * HTTP to a real server. Every answer: no 5xx, a status the operation documents, the
 * documented content type, and a body its documented schema accepts (ajv, JSON Schema
 * 2020-12). A request valid by the document is never refused as malformed (400); one whose
 * body breaks the document is (400).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { mutantsOf, valuesOf, type Schema } from './schema-arbitrary.js';

type Obj = { [k: string]: unknown };
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Op {
  method: string;
  path: string;
  op: Operation;
}
interface Req {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: { value: unknown };
  /** The part broken on purpose, and whether the document refuses the result. */
  broken?: { part: string; invalid: boolean };
}

const dir = mkdtempSync(join(tmpdir(), 'sp-openapi-props-'));
let server: RunningServer;
let ops: Op[] = [];
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
const compiled = new Map<Schema, ValidateFunction>();
const validator = (schema: Schema): ValidateFunction => {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(typeof schema === 'boolean' ? {} : schema)));
  return v;
};

beforeAll(async () => {
  server = await startServer({ dbPath: join(dir, 'props.db'), port: 0, version: '0.1.0' });
  const raw = (await (
    await fetch(`http://127.0.0.1:${server.port}/api/openapi.json`, {
      headers: { authorization: `Bearer ${server.token}` },
    })
  ).json()) as Obj;
  // Something to list and read: a saved graph, and a run waiting for an approval.
  const graph = {
    format: 'statepipe.graph',
    version: 1,
    id: 'seeded',
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'gate', type: 'approval', config: { title: 'ok?' } },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'gate' }],
  };
  for (const path of ['/api/call/graphs.save', '/api/runs'])
    await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ graph }),
    });
  const doc = (await SwaggerParser.dereference(structuredClone(raw) as never)) as unknown as {
    paths: Record<string, Record<string, Operation>>;
  };
  ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}, 60_000);
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A key the server refuses in any JSON body (the document says so in words): `__proto__`, `constructor.prototype`. */
function poisoned(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  if (own(v, '__proto__')) return true;
  const ctor = (v as Obj)['constructor'];
  if (own(v, 'constructor') && ctor !== null && typeof ctor === 'object' && own(ctor, 'prototype')) return true;
  return Object.values(v).some(poisoned);
}

const bodySchema = (op: Operation): Schema | undefined => op.requestBody?.content['application/json']?.schema;

/** Requests of an operation: every part valid by the document, or one part broken. */
function requests(o: Op, broken: boolean): fc.Arbitrary<Req> {
  const params = o.op.parameters ?? [];
  const part = (p: Parameter) => {
    const v = valuesOf(p.schema, { headerSafe: p.in !== 'path' }).map((x) => String(x));
    return p.required ? v : fc.option(v, { nil: undefined });
  };
  const body = bodySchema(o.op);
  const valid = fc.record({
    params: fc.tuple(...params.map(part)),
    body:
      body === undefined
        ? fc.constant(undefined)
        : o.op.requestBody?.required
          ? valuesOf(body)
          : fc.option(valuesOf(body), { nil: undefined }),
  });
  const targets: string[] = [
    ...(body !== undefined ? ['body'] : []),
    ...params
      .filter((p) => typeof p.schema === 'object' && ('pattern' in p.schema || p.schema['type'] === 'integer'))
      .map((p) => p.name),
  ];
  const base =
    broken && targets.length > 0
      ? fc.tuple(valid, fc.constantFrom(...targets))
      : valid.map((v) => [v, undefined] as const);
  return fc
    .tuple(
      base,
      body !== undefined ? mutantsOf(body) : fc.constant(undefined),
      fc.constantFrom('abc', '-5', '1.5', 'run_x', '%'),
    )
    .map(([[v, target], mutant, badParam]) => {
      let path = o.path;
      const query: Record<string, string> = {};
      const headers: Record<string, string> = {};
      params.forEach((p, i) => {
        const value = target === p.name ? badParam : v.params[i];
        if (value === undefined) return;
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(value));
        else if (p.in === 'query') query[p.name] = value;
        else headers[p.name] = value;
      });
      const req: Req = { path, query, headers };
      if (target === 'body') {
        req.body = { value: mutant };
        req.broken = { part: 'body', invalid: !validator(body!)(mutant) };
      } else if (v.body !== undefined) req.body = { value: v.body };
      if (target !== undefined && target !== 'body') req.broken = { part: target, invalid: true };
      return req;
    });
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

async function send(o: Op, req: Req): Promise<Answer> {
  const qs = new URLSearchParams(req.query).toString();
  const res = await fetch(`http://127.0.0.1:${server.port}${req.path}${qs ? `?${qs}` : ''}`, {
    method: o.method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(req.body ? { 'content-type': 'application/json' } : {}),
      ...req.headers,
    },
    ...(req.body ? { body: JSON.stringify(req.body.value) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  // A live event stream does not end by itself: its type is all there is to check.
  const text = type === 'text/event-stream' ? (await res.body?.cancel(), '') : await res.text();
  return { status: res.status, type, text };
}

/** The answer is one the operation documents, with the documented type and schema. */
function conforms(o: Op, req: Req, res: Answer): void {
  const where = `${o.method} ${req.path}?${new URLSearchParams(req.query)} ${JSON.stringify(req.body?.value)?.slice(0, 300)}\n→ ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  const documented = o.op.responses[String(res.status)];
  expect(documented, `undocumented status: ${where}`).toBeDefined();
  if (!documented!.content) return void expect(res.text, where).toBe('');
  const media = documented!.content[res.type];
  expect(media, `undocumented content type ${res.type}: ${where}`).toBeDefined();
  if (res.type !== 'application/json') return;
  const validate = validator(media!.schema);
  expect(validate(JSON.parse(res.text)), `${ajv.errorsText(validate.errors)}: ${where}`).toBe(true);
}

describe('the HTTP API against its own OpenAPI document', () => {
  it('has operations to test', () => {
    expect(ops.length).toBeGreaterThanOrEqual(27);
  });

  /** Sends generated requests of every operation; each answer must conform, then pass `check`. */
  const everyOperation = async (broken: boolean, check: (o: Op, req: Req, res: Answer) => void) => {
    for (const o of ops) {
      await fc.assert(
        fc.asyncProperty(requests(o, broken), async (req) => {
          const res = await send(o, req);
          conforms(o, req, res);
          check(o, req, res);
        }),
        { numRuns: 30 },
      );
    }
  };

  it('requests valid by the document: no 5xx, never a 400, every answer as documented', async () => {
    await everyOperation(false, (o, req, res) => {
      // Two rules the document states in words: no prototype keys; the Idempotency-Key header
      // and the body's idempotencyKey agree when both are given.
      if (poisoned(req.body?.value)) {
        expect(res.status).toBe(400);
        const { error } = JSON.parse(res.text) as { error: { message: string } };
        return void expect(error.message).toMatch(/"__proto__" or "constructor\.prototype"/);
      }
      const both =
        req.headers['idempotency-key'] !== undefined && (req.body?.value as Obj | undefined)?.['idempotencyKey'];
      if (both && both !== req.headers['idempotency-key']) return void expect(res.status).toBe(400);
      expect(res.status, `${o.method} ${req.path} was refused: ${res.text.slice(0, 400)}`).not.toBe(400);
    });
  }, 300_000);

  it('requests broken in one place: no 5xx, every answer as documented, a broken body is a 400', async () => {
    await everyOperation(true, (o, req, res) => {
      if (req.broken?.invalid && req.broken.part === 'body')
        expect(res.status, `${o.method} ${req.path} accepted a body the document refuses`).toBe(400);
    });
  }, 300_000);
});
