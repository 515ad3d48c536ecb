/**
 * Hostile input on the command line: values nested thousands of levels deep are refused with
 * exit 2 and one line naming the flag (not exit 1 with "Maximum call stack size exceeded"), and
 * node stacks stay out of what is recorded while `--verbose` still shows them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, errLines, tmpDir } from './cli-test-kit.js';

const deep = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

function tinyGraph(
  dir: string,
  node: Record<string, unknown> = { type: 'transform', config: { template: '{{input}}' } },
) {
  const file = path.join(dir, 'g.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      format: 'statepipe.graph',
      version: 1,
      id: 'tiny',
      defaults: { retry: { maxAttempts: 1, backoffMs: 1, strategy: 'fixed', jitter: false } },
      nodes: [
        { id: 'start', type: 'input' },
        { id: 'step', ...node },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'step' }],
    }),
  );
  return file;
}

describe.concurrent('deeply nested values on the command line', () => {
  it('--input, --input @file, --inputs and --data 5 000 levels deep: exit 2 naming the flag, nothing written', async () => {
    const dir = tmpDir();
    const graph = tinyGraph(dir);
    const db = path.join(dir, 'never.db');
    fs.writeFileSync(path.join(dir, 'deep.json'), deep(5000));
    fs.writeFileSync(path.join(dir, 'deep.jsonl'), `{"ok":1}\n${deep(5000)}\n`);
    const cases: [string[], RegExp][] = [
      [['run', graph, '--input', deep(5000)], /^statepipe: --input: nested more than 256 levels deep \(at a\.a\.a/],
      [['run', graph, '--input', '@deep.json'], /^statepipe: --input @deep\.json: nested more than 256 levels deep/],
      [['run', graph, '--inputs', 'deep.jsonl'], /^statepipe: deep\.jsonl:2: nested more than 256 levels deep/],
      [
        ['approve', 'run_00000000000000000000000000', 'gate', '--data', deep(5000)],
        /^statepipe: --data: nested more than 256 levels deep/,
      ],
    ];
    for (const [args, line] of cases) {
      const r = await cli([...args, '--db', db], { cwd: dir });
      expect(r.code, `${args[0]} ${args[2]}: ${r.stderr.slice(0, 300)}`).toBe(2);
      expect(errLines(r), args[2]).toHaveLength(1);
      expect(errLines(r)[0]).toMatch(line);
      expect(r.stderr).not.toMatch(/call stack/i);
    }
    expect(fs.existsSync(db)).toBe(false);
  });

  it('a graph file 5 000 levels deep: exit 2 naming the file and the node', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'deep-graph.json');
    fs.writeFileSync(file, fs.readFileSync(tinyGraph(dir), 'utf8').replace('"{{input}}"', deep(5000)));
    const r = await cli(['validate', file]);
    expect(r.code, r.stderr.slice(0, 300)).toBe(2);
    expect(errLines(r)[0]).toMatch(
      /deep-graph\.json: nodes\[1\]\.config\.template\.a.*nested more than 256 levels deep/,
    );
  });
});

describe('node stacks', () => {
  it('are in no event or export, but --verbose prints them', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const graph = tinyGraph(dir, { type: 'code', config: { code: 'return input.missing.field' } });
    const jsonl = path.join(dir, 'events.jsonl');
    const r = await cli(['run', graph, '--db', db, '--verbose', '--jsonl', jsonl, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const runId = (JSON.parse(r.stdout) as { runId: string }).runId;
    const exported = await cli(['export', runId, '--db', db]);
    const inspected = await cli(['inspect', runId, '--json', '--db', db]);
    for (const text of [fs.readFileSync(jsonl, 'utf8'), exported.stdout, inspected.stdout]) {
      expect(text).toContain('Cannot read properties of undefined');
      expect(text).not.toMatch(/"stack"/);
      expect(text).not.toContain(process.cwd());
    }
    expect(r.stderr).toMatch(/\n\s+at /); // --verbose: the stack, live
  });
});
