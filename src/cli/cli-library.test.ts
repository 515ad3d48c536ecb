/**
 * The graph library of `validate` and `run` through the CLI as a user starts it (bin/statepipe.js →
 * the prebuilt bundle, which loads SQLite only when a saved graph is needed): a graph file next to
 * the one that names it, or a graph saved in the database, read without writing
 * (docs/composition.md "The library"). Children in list/inspect/export: cli-composition.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../host/store/migrations.js';
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

describe.concurrent('the graph library in the CLI', () => {
  it('run finds a graph in a file next to the one that names it; the child graph joins the run snapshot', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db.sqlite');
    write(dir, 'double.json', child);
    const ran = await cli(['run', write(dir, 'fan.json', fan('./double.json')), '--json', '--db', db]);
    expect(ran.code, ran.stderr).toBe(0);
    const out = JSON.parse(ran.stdout) as { runId: string; result: unknown };
    expect(out.result).toMatchObject({ r: { results: [{ value: 'aa' }, { value: 'bb' }, { value: 'cc' }] } });
    fs.rmSync(path.join(dir, 'double.json'));
    const snapshot = await cli(['export-graph', out.runId, '--db', db]);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    expect(Object.keys((JSON.parse(snapshot.stdout) as { graphs: object }).graphs)).toEqual(['./double.json']);
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

  it("validate names a missing child graph beside the file's own problems, JSON and YAML", async () => {
    const dir = tmpDir();
    const broken = fan('nowhere', 'broken');
    (broken.nodes[1] as { config: Record<string, unknown> }).config = {}; // output without its value
    const json = write(dir, 'broken.json', broken);
    const yamlFile = path.join(dir, 'broken.yaml');
    fs.writeFileSync(yamlFile, (await import('yaml')).stringify(broken));
    for (const file of [json, yamlFile]) {
      const r = await cli(['validate', file, '--json']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/nodes\[r\]\.config.*\(\+1 more\)/);
      const problems = (JSON.parse(r.stdout) as { problems: string[] }).problems;
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^nodes\[r\]\.config/);
      expect(problems[1]).toBe(
        'nodes[each].config.graph: graph "nowhere" not found: not in this file\'s graphs library, not saved in the database, and no such file',
      );
    }
    // Once its own problem is fixed, the missing graph is what is left.
    broken.nodes[1] = { id: 'r', type: 'output', config: { value: 'fixed' } };
    const left = await cli(['validate', write(dir, 'broken.json', broken)]);
    expect(left.stderr).toMatch(/nodes\[each\]\.config\.graph: graph "nowhere" not found/);
    expect(left.stderr).not.toMatch(/more\)/);
  });

  it('validate with a database of an older schema (read-only here) still names every problem, and leaves it as it was', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'old.db');
    const old = new Database(db);
    old.pragma('journal_mode = WAL');
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version < SCHEMA_VERSION),
    );
    old.close();
    const before = fs.readFileSync(db);
    const broken = fan('nowhere', 'broken');
    (broken.nodes[1] as { config: Record<string, unknown> }).config = {};
    const r = await cli(['validate', write(dir, 'broken.json', broken), '--json', '--db', db]);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { problems: string[] }).problems).toEqual([
      'nodes[r].config.value: is required',
      'nodes[each].config.graph: graph "nowhere" not found: not in this file\'s graphs library, not saved in the database, and no such file',
    ]);
    expect(fs.readFileSync(db).equals(before)).toBe(true);
  });
});
