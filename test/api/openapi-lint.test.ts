/**
 * The served OpenAPI document is valid OpenAPI 3.1 by outside tools: Redocly's linter (its
 * strict recommended rules) and swagger-parser find 0 problems; every operation documents its
 * real answers; graphs.list answers exactly the fields the document names.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-openapi-lint-'));
const file = join(dir, 'openapi.json');
let server: RunningServer;
type Doc = {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};
let doc: Doc;

beforeAll(async () => {
  server = await startServer({ dbPath: join(dir, 'lint.db'), port: 0, version: '0.1.0' });
  const res = await fetch(`http://127.0.0.1:${server.port}/api/openapi.json`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  doc = (await res.json()) as Doc;
  writeFileSync(file, JSON.stringify(doc, null, 2));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the OpenAPI document', () => {
  it('passes Redocly lint (recommended-strict) with 0 errors and 0 warnings', async () => {
    const cli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'lint', file, '--extends=recommended-strict', '--format=json'],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('is valid OpenAPI 3.1 to swagger-parser', async () => {
    const api = await SwaggerParser.validate(file);
    expect((api as { openapi?: string }).openapi).toBe('3.1.0');
  });

  it('documents every answer of every operation with a schema', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses);
        expect(statuses, `${method} ${path}`).not.toContain('default');
        expect(statuses, `${method} ${path}`).toContain('401');
        expect(statuses, `${method} ${path}`).toContain('500');
        if (method === 'post')
          expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['403', '413', '415']));
        for (const [status, r] of Object.entries(op.responses as Record<string, { content?: object }>)) {
          if (status !== '204') expect(r.content, `${method} ${path} ${status}`).toBeDefined();
        }
      }
    }
    expect(Object.keys(doc.paths['/api/runs']!['post']!.responses)).toEqual(
      expect.arrayContaining(['200', '201', '400', '422']),
    );
    expect(Object.keys(doc.paths['/api/runs/{runId}/events']!['get']!.responses)).toEqual(
      expect.arrayContaining(['200', '204', '400', '404']),
    );
    expect(JSON.stringify(doc)).not.toContain('itemSchema'); // an OpenAPI 3.2 keyword
  });

  it('graphs.list answers exactly the fields the document names (version, not latestVersion)', async () => {
    const call = (method: string, input: unknown) =>
      fetch(`http://127.0.0.1:${server.port}/api/call/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      }).then((r) => r.json() as Promise<{ value: { graphs: Record<string, unknown>[] } }>);
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'listed',
      nodes: [{ id: 'start', type: 'input' }],
      edges: [],
    };
    await call('graphs.save', { graph });
    await call('graphs.save', { graph: { ...graph, name: 'second version' } });
    const { graphs } = (await call('graphs.list', {})).value;
    const item = doc.components.schemas['GraphsListOutput']!.properties!['graphs'] as {
      items: { properties: Record<string, unknown>; required: string[] };
    };
    expect(Object.keys(graphs[0]!).sort()).toEqual(Object.keys(item.items.properties).sort());
    expect(graphs[0]).toMatchObject({ graphId: 'listed', name: 'second version', version: 2 });
  });
});
