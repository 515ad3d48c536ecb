/**
 * Composition through the CLI as a user starts it (bin/statepipe.js → the prebuilt bundle): a map
 * node's child runs in `list` (top-level by default, `--all`, `--parent`) and `inspect` (counts,
 * `--node` lists the items), and the graph library of `validate`/`run`: a graph file next to the
 * one that names it, or a graph saved in the database (opened read-only, only when needed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, runCount, startedRunId, tmpDir } from './cli-test-kit.js';

/** `double`: the item twice over, as a template (no runner needed). */
const child = {
  format: 'statepipe.graph',
  version: 1,
  id: 'double',
  nodes: [
    { id: 'calc', type: 'transform', config: { template: '{{input.item}}{{input.item}}' } },
    { id: 'value', type: 'output', config: { value: '{{nodes.calc.output}}' } },
  ],
  edges: [{ id: 'calc-value', source: 'calc', target: 'value' }],
};

/** A map over three items running the graph `ref` names. */
const fan = (ref: string, id = 'fan') => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  nodes: [
    { id: 'each', type: 'map', config: { graph: ref, items: ['a', 'b', 'c'] } },
    { id: 'r', type: 'output', config: { value: '{{nodes.each.output}}' } },
  ],
  edges: [{ id: 'each-r', source: 'each', target: 'r' }],
});

const write = (dir: string, name: string, doc: unknown): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
};

interface Summary {
  runId: string;
  graphId: string;
  children?: Record<string, number>;
  parent?: { runId: string; nodeId: string; key: number };
}

const json = <T>(r: { code: number | null; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

describe.concurrent('composition in the CLI', () => {
  it('list shows top-level runs with their children counted, --all and --parent the children; inspect --node lists them by key', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db.sqlite');
    write(dir, 'double.json', child);
    const ran = await cli(['run', write(dir, 'fan.json', fan('./double.json')), '--json', '--db', db]);
    const parent = json<{ runId: string; status: string; result: unknown }>(ran);
    expect(parent.status).toBe('succeeded');
    expect(parent.result).toMatchObject({ r: { results: [{ value: 'aa' }, { value: 'bb' }, { value: 'cc' }] } });

    const top = json<Summary[]>(await cli(['list', '--json', '--db', db]));
    expect(top.map((r) => r.runId)).toEqual([parent.runId]);
    expect(top[0]!.children).toEqual({ succeeded: 3 });
    const table = await cli(['list', '--db', db]);
    expect(table.stdout).toMatch(new RegExp(`${parent.runId}\\s+fan\\s+succeeded.*3 succeeded`));

    const all = json<Summary[]>(await cli(['list', '--all', '--json', '--db', db]));
    expect(all).toHaveLength(4);
    const kids = json<Summary[]>(await cli(['list', '--parent', parent.runId, '--json', '--db', db]));
    expect(kids.map((k) => [k.graphId, k.parent?.runId, k.parent?.nodeId]).sort()).toEqual([
      ['double', parent.runId, 'each'],
      ['double', parent.runId, 'each'],
      ['double', parent.runId, 'each'],
    ]);
    expect(kids.map((k) => k.parent!.key).sort()).toEqual([0, 1, 2]);
    expect(new Set(all.map((r) => r.runId))).toEqual(new Set([parent.runId, ...kids.map((k) => k.runId)]));

    const shown = await cli(['inspect', parent.runId, '--db', db]);
    expect(shown.stdout).toMatch(/children 3: 3 succeeded/);
    const node = await cli(['inspect', parent.runId, '--node', 'each', '--db', db]);
    expect(node.code, node.stderr).toBe(0);
    const byKey = [...kids].sort((a, b) => a.parent!.key - b.parent!.key);
    expect(node.stdout).toMatch(
      new RegExp(
        `children \\(3\\)\\nkey.*\\n0\\s+${byKey[0]!.runId}.*\\n1\\s+${byKey[1]!.runId}.*\\n2\\s+${byKey[2]!.runId}`,
      ),
    );
    const nodeJson = json<{ children: Summary[] }>(
      await cli(['inspect', parent.runId, '--node', 'each', '--json', '--db', db]),
    );
    expect(nodeJson.children.map((c) => c.runId)).toEqual(byKey.map((k) => k.runId));
    const childShown = await cli(['inspect', byKey[1]!.runId, '--db', db]);
    expect(childShown.stdout).toContain(`child of ${parent.runId} (node each, key 1)`);
  });

  it('validate and run find a graph saved in the database, reading it without writing; without one, nothing is created', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db.sqlite');
    const byId = write(dir, 'by-id.json', fan('double', 'fan-by-id'));

    // No database yet: refused naming the node, and no database file appears.
    const missing = await cli(['validate', byId, '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nodes\[each\]\.config\.graph: graph "double" not found/);
    expect(fs.existsSync(db)).toBe(false);

    // Running `double` on its own saves it in the database.
    const saved = await cli(['run', write(dir, 'double.json', child), '--input', '{"item":"x"}', '--db', db]);
    expect(saved.code, saved.stderr).toBe(0);
    fs.rmSync(path.join(dir, 'double.json'));
    const before = fs.readFileSync(db);

    const ok = await cli(['validate', byId, '--db', db]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('ok: fan-by-id (2 nodes, 1 edges)\n');
    expect(fs.readFileSync(db).equals(before)).toBe(true); // read-only: not a byte changed

    const ran = await cli(['run', byId, '--db', db]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(startedRunId(ran.stdout + ran.stderr)).toMatch(/^run_/);
    expect(runCount(db)).toBe(1 + 1 + 3);
  });
});
