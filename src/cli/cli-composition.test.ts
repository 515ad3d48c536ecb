/**
 * Composition through the real CLI (docs/composition.md): the document-batch example run, its
 * worst case planned, its children listed, inspected, exported and replayed; bad composition
 * refused with exit 2 and nothing written, from JSON and YAML files alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli, EXAMPLES, runCount, tmpDir } from './cli-test-kit.js';

const DOCS = ['Alice leads ProjectX in Berlin', 'The Q3 budget grew by ten percent', 'Bob joins the Lisbon office'];
const INPUT = JSON.stringify({ documents: DOCS });
const EXAMPLE = path.join(EXAMPLES, 'document-batch.json');

type Listed = {
  runId: string;
  status: string;
  children?: Record<string, number>;
  parent?: { nodeId: string; key: number };
};

describe('the document-batch example', () => {
  it('runs a map and a loop as child runs, listed, inspected, exported and replayed', { timeout: 90_000 }, async () => {
    const db = path.join(tmpDir(), 'db');
    const plan = JSON.parse((await cli(['run', EXAMPLE, '--input', INPUT, '--dry-run', '--json'])).stdout) as {
      worstCaseTokens: number;
      childRuns: number;
      modelCalls: number;
    };
    // 3 documents and at most 5 rounds; each round calls the model twice.
    expect(plan).toMatchObject({ childRuns: 3 + 5, modelCalls: 3 + 5 * 2 });

    const run = await cli(['run', EXAMPLE, '--input', INPUT, '--json', '--db', db]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      runId: string;
      tokens: number;
      result: { result: Record<string, unknown> };
    };
    expect(out.result.result).toMatchObject({ documents: 3, rounds: 3 });
    expect(out.result.result['summary']).toMatch(/\(draft 3\)$/);
    expect(plan.worstCaseTokens).toBeGreaterThanOrEqual(out.tokens);

    const top = JSON.parse((await cli(['list', '--json', '--db', db])).stdout) as Listed[];
    expect(top.map((r) => [r.runId, r.children])).toEqual([[out.runId, { succeeded: 6 }]]);
    expect(JSON.parse((await cli(['list', '--all', '--json', '--db', db])).stdout)).toHaveLength(7);
    const kids = JSON.parse((await cli(['list', '--parent', out.runId, '--json', '--db', db])).stdout) as Listed[];
    expect(kids.map((k) => `${k.parent!.nodeId}[${k.parent!.key}]`).sort()).toEqual([
      'extract_each[0]',
      'extract_each[1]',
      'extract_each[2]',
      'summarize[1]',
      'summarize[2]',
      'summarize[3]',
    ]);

    const inspect = await cli(['inspect', out.runId, '--node', 'extract_each', '--db', db]);
    expect(inspect.stdout).toMatch(/children \(3\)/);
    for (const k of kids.filter((c) => c.parent!.nodeId === 'extract_each')) expect(inspect.stdout).toContain(k.runId);

    const own = await cli(['export', out.runId, '--db', db]);
    expect(own.stderr).toMatch(new RegExp(`run ${out.runId} has 6 child runs .*--children`));
    const all = await cli(['export', out.runId, '--children', '--db', db]);
    const runs = new Set(
      all.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { runId: string }).runId),
    );
    expect(runs).toEqual(new Set([out.runId, ...kids.map((k) => k.runId)]));

    const graph = JSON.parse((await cli(['export-graph', out.runId, '--db', db])).stdout) as { graphs: object };
    expect(Object.keys(graph.graphs).sort()).toEqual(['draft-and-judge', 'extract']);

    const replay = await cli(['replay', out.runId, '--db', db]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/matches/);
  });
});

/** A parent that maps over `child`, and a library that may or may not hold it. */
function batch(library: Record<string, unknown>, child = 'item') {
  return {
    format: 'statepipe.graph',
    version: 1,
    id: 'batch',
    nodes: [{ id: 'each', type: 'map', config: { graph: child, items: '{{input.xs}}' } }],
    edges: [],
    graphs: library,
  };
}
const loopsInto = (id: string, next: string) => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  nodes: [{ id: 'call', type: 'subgraph', config: { graph: next } }],
  edges: [],
});

describe('bad composition is refused before anything is written', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a missing child graph', batch({}), /nodes\[each\]\.config\.graph: graph "item" not found/],
    [
      'an include cycle',
      batch({ item: loopsInto('item', 'other'), other: loopsInto('other', 'item') }),
      /item → other → item/,
    ],
    [
      'items that is not a template or array',
      { ...batch({ item: loopsInto('item', 'x') }), nodes: [{ id: 'each', type: 'map', config: { graph: 'item' } }] },
      /nodes\[each\]\.config\.items/,
    ],
  ];
  it.each(cases)('%s, from JSON and YAML', async (_name, graph, message) => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const json = path.join(dir, 'g.json');
    const yaml = path.join(dir, 'g.yaml');
    fs.writeFileSync(json, JSON.stringify(graph));
    fs.writeFileSync(yaml, stringify(graph));
    for (const file of [json, yaml]) {
      const r = await cli(['run', file, '--input', '{"xs":[1]}', '--db', db]);
      expect(r.code, file).toBe(2);
      expect(r.stderr, file).toMatch(message);
      expect(runCount(db)).toBe(0);
    }
  });
});

describe('budgets across child runs', () => {
  it("a parent paused by its child's spending says its own limit, not what the child was given", async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'fan.json');
    const reply = 'one two three four five six seven eight nine ten eleven';
    const talk = {
      format: 'statepipe.graph',
      version: 1,
      id: 'talk',
      nodes: [
        {
          id: 'say',
          type: 'llm',
          config: { provider: 'mock', model: 'm', prompt: 'hi', mock: { reply, tokensPerSecond: 0 } },
        },
      ],
      edges: [],
    };
    const fan = {
      format: 'statepipe.graph',
      version: 1,
      id: 'fan',
      budget: { maxTokens: 20 },
      graphs: { talk },
      nodes: [{ id: 'each', type: 'map', config: { graph: 'talk', items: [1, 2, 3, 4], concurrency: 1 } }],
      edges: [],
    };
    fs.writeFileSync(file, JSON.stringify(fan));
    const run = await cli(['run', file, '--db', db]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/paused \(budget\): \d+ tokens · \$0\.0000 used of maxTokens 20 /);
  });
});

describe('approvals held by child runs, decided through the parent', () => {
  const gated = {
    format: 'statepipe.graph',
    version: 1,
    id: 'gated',
    nodes: [
      { id: 'start', type: 'input' },
      { id: 'gate', type: 'approval', config: { title: 'ok {{input}}?' } },
      { id: 'out', type: 'output', config: { value: 'done' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'gate' },
      { id: 'e2', source: 'gate', target: 'out' },
    ],
  };
  const parent = (id: string, node: Record<string, unknown>) => ({
    format: 'statepipe.graph',
    version: 1,
    id,
    graphs: { gated },
    nodes: [node],
    edges: [],
  });

  it('one child waiting: inspect, the run line and approve --dry-run all decide it through the parent', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'sub.json');
    fs.writeFileSync(file, JSON.stringify(parent('sub', { id: 's', type: 'subgraph', config: { graph: 'gated' } })));
    const run = await cli(['run', file, '--db', db]);
    expect(run.code, run.stderr).toBe(3);
    const runId = run.stdout.match(/\[run\] id=(run_\w+)/)![1]!;
    expect(run.stdout).toContain(`waiting for approval: gate (statepipe approve ${runId} gate)`);
    const inspect = await cli(['inspect', runId, '--db', db]);
    expect(inspect.stdout).toContain(`statepipe approve ${runId} gate`);
    const dry = await cli(['approve', runId, 'gate', '--dry-run', '--db', db]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`approve gate of run_\\w+ \\(a child run of ${runId}\\) \\(gated\\)`));
    const done = await cli(['approve', runId, 'gate', '--db', db]);
    expect(done.code, done.stderr).toBe(0);
    // The parent's lines only: the child's nodes (gate, out) are not printed as if they were its own.
    expect(done.stdout).toMatch(/^ {2}✓ s succeeded/m);
    expect(done.stdout).not.toMatch(/^ {2}\S (gate|out|start) /m);
  });

  it('a gate two subgraphs down: the run line and inspect name the gate, and approve TOP gate decides it', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'nest.json');
    const mid = {
      ...gated,
      id: 'mid',
      nodes: [{ id: 'inner', type: 'subgraph', config: { graph: 'gated' } }],
      edges: [],
    };
    const top = {
      ...parent('nest', { id: 'outer', type: 'subgraph', config: { graph: 'mid' } }),
      graphs: { gated, mid },
    };
    fs.writeFileSync(file, JSON.stringify(top));
    const run = await cli(['run', file, '--db', db]);
    expect(run.code, run.stderr).toBe(3);
    const runId = run.stdout.match(/\[run\] id=(run_\w+)/)![1]!;
    expect(run.stdout).toContain(`waiting for approval: gate (statepipe approve ${runId} gate)`);
    const inspect = await cli(['inspect', runId, '--db', db]);
    expect(inspect.stdout).toContain(`statepipe approve ${runId} gate`);
    const done = await cli(['approve', runId, 'gate', '--db', db]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/succeeded/);
  });

  it('several map items waiting at one node: approve through the parent refuses to guess, naming them; the hints name a child', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'map.json');
    fs.writeFileSync(
      file,
      JSON.stringify(parent('mapped', { id: 'm', type: 'map', config: { graph: 'gated', items: [1, 2, 3] } })),
    );
    const run = await cli(['run', file, '--db', db]);
    expect(run.code, run.stderr).toBe(3);
    const runId = run.stdout.match(/\[run\] id=(run_\w+)/)![1]!;
    const kids = (JSON.parse((await cli(['list', '--parent', runId, '--json', '--db', db])).stdout) as Listed[]).map(
      (k) => k.runId,
    );
    expect(kids).toHaveLength(3);
    const line = run.stdout.trim().split('\n').at(-1)!;
    for (const k of kids) expect(line).toContain(`gate (in ${k})`);
    expect(line).toMatch(/\(statepipe approve run_\w+ gate\)$/);
    expect(line).not.toContain(`statepipe approve ${runId} gate`);
    for (const args of [
      ['approve', runId, 'gate'],
      ['approve', runId, 'gate', '--dry-run'],
    ]) {
      const r = await cli([...args, '--db', db]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr).toContain(`node gate waits in 3 child runs of run ${runId}`);
      for (const k of kids) expect(r.stderr).toContain(k);
    }
    const inspect = await cli(['inspect', runId, '--db', db]);
    expect(inspect.stdout).toMatch(/statepipe approve run_\w+ gate \(\+2 more: inspect --node m\)/);
    // Nothing was decided by the refusals: every item still waits.
    const again = JSON.parse((await cli(['list', '--parent', runId, '--json', '--db', db])).stdout) as Listed[];
    expect(again.map((k) => k.status)).toEqual(['waiting', 'waiting', 'waiting']);
  });
});
