/**
 * YAML graph files (issue: production integrations): the same schema and validation as JSON,
 * messages carrying the line of the offending field; `validate`, `run` and
 * `export-graph --format yaml` through the real CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, EXAMPLES, tmpDir } from './cli-test-kit.js';
import { AppError } from '../core/errors.js';
import { parseGraphText } from '../core/graph/validate.js';
import { formatGraph, parseGraphFile } from '../host/graph-file.js';

const YAML = `format: statepipe.graph
version: 1
id: hello-yaml
nodes:
  - id: start
    type: input
  - id: greet
    type: llm
    config:
      provider: mock
      model: mock-1
      prompt: "Greet {{input.name}}"
      mock: { reply: Hello there, tokensPerSecond: 0 }
  - id: result
    type: output
    config:
      value: "{{nodes.greet.output.text}}"
edges:
  - { id: e1, source: start, target: greet }
  - { id: e2, source: greet, target: result }
`;

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('YAML graph files', () => {
  it('parses to the same graph as its JSON twin', () => {
    const g = parseGraphFile(YAML, 'hello.yaml');
    expect(g.nodes.map((n) => n.id)).toEqual(['start', 'greet', 'result']);
    const again = parseGraphFile(formatGraph(g, 'yaml'), 'again.yml');
    expect(formatGraph(again, 'json')).toBe(formatGraph(g, 'json'));
    const example = parseGraphText(readFileSync(join(EXAMPLES, 'document-pipeline.json'), 'utf8'));
    expect(formatGraph(parseGraphFile(formatGraph(example, 'yaml'), 'x.yaml'), 'json')).toBe(
      formatGraph(example, 'json'),
    );
  });

  it('reports the line of a schema error, a missing field and a reference error', () => {
    const wrongType = refusal(() => parseGraphFile(YAML.replace('model: mock-1', 'model: 42'), 'g.yaml'));
    expect(wrongType.code).toBe('validation');
    expect(wrongType.message).toMatch(/^g\.yaml:11: nodes\[greet\]\.config\.model: /);

    const missing = refusal(() => parseGraphFile(YAML.replace('      prompt: "Greet {{input.name}}"\n', ''), 'g.yaml'));
    expect(missing.message).toMatch(/^g\.yaml:\d+: nodes\[greet\]\.config\.prompt: /);

    const badRef = refusal(() =>
      parseGraphFile(YAML.replace('{{nodes.greet.output.text}}', '{{nodes.nope.output}}'), 'g.yaml'),
    );
    expect(badRef.message).toMatch(/^g\.yaml:17: nodes\[result\]\.config\.value: references node "nope"/);
    expect(badRef.issues?.[0]).toMatchObject({ line: 17, nodeId: 'result' });

    const badEdge = refusal(() =>
      parseGraphFile(YAML.replace('source: greet, target: result', 'source: greet, target: ghost'), 'g.yaml'),
    );
    expect(badEdge.message).toMatch(/^g\.yaml:20: edges\[e2\]\.target: /);
  });

  it('reports the line of a YAML syntax error', () => {
    const err = refusal(() => parseGraphFile(YAML.replace('    type: llm', '    type: [llm'), 'g.yaml'));
    expect(err.message).toMatch(/^g\.yaml:\d+: not valid YAML: /);
  });

  it('validate, run and export-graph --format yaml from the CLI', async () => {
    const dir = tmpDir();
    const good = join(dir, 'hello.yaml');
    const bad = join(dir, 'bad.yml');
    writeFileSync(good, YAML);
    writeFileSync(bad, YAML.replace('model: mock-1', 'model: 42'));
    const ok = await cli(['validate', good]);
    expect(ok.code, ok.stderr).toBe(0);
    const refused = await cli(['validate', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/bad\.yml:11: nodes\[greet\]\.config\.model/);

    const db = join(dir, 'sp.db');
    const run = await cli(['run', good, '--db', db, '--input', '{"name":"Ada"}', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', result: { result: 'Hello there' } });
    const exported = await cli(['export-graph', 'hello-yaml', '--db', db, '--format', 'yaml']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^format: statepipe\.graph\nversion: 1\nid: hello-yaml\n/);
    expect(parseGraphFile(exported.stdout, 'x.yaml').id).toBe('hello-yaml');
    // To a file, by the run's id: the message names the graph (and the run).
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    const file = join(dir, 'out.yaml');
    const toFile = await cli(['export-graph', runId, '--db', db, '--out', file]);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(toFile.stderr).toBe(`wrote graph hello-yaml as run ${runId} ran it to ${file}\n`);
    expect(parseGraphFile(readFileSync(file, 'utf8'), file).id).toBe('hello-yaml');
  }, 60_000);
});
