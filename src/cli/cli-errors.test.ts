/** Refusals: the right exit code, one line on stderr, and nothing written. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../host/store/open.js';
import { EXAMPLES, cli, errLines, fastGraph, runCount, tmpDir } from './cli-test-kit.js';

describe.concurrent('statepipe errors', () => {
  it('validate accepts every example and opens no database', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'missing-dir', 'db.sqlite');
    for (const name of ['document-pipeline', 'vendor-onboarding']) {
      const r = await cli(['validate', path.join(EXAMPLES, `${name}.json`), '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^ok: ${name} \\(7 nodes, \\d+ edges\\)\\n$`));
    }
    expect(fs.existsSync(path.dirname(db))).toBe(false);
  });

  it('validate checks every file: each result printed, errors name their file, exit 2 if any failed', async () => {
    const dir = tmpDir();
    const a = fastGraph('document-pipeline', dir);
    const b = fastGraph('vendor-onboarding', dir);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ "format": ');
    const v2 = path.join(dir, 'v2.json');
    fs.writeFileSync(v2, fs.readFileSync(a, 'utf8').replace('"version": 1', '"version": 2'));
    const r = await cli(['validate', a, 'bad.json', v2, b], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      `ok: ${a}: document-pipeline (7 nodes, 9 edges)`,
      `ok: ${b}: vendor-onboarding (7 nodes, 7 edges)`,
    ]);
    const lines = errLines(r);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^statepipe: bad\.json: not valid JSON/);
    expect(lines[1]).toMatch(/^statepipe: .*v2\.json: version/);
    expect(lines[2]).toBe('validate: 2 of 4 files failed');

    const j = await cli(['validate', a, 'bad.json', '--json'], { cwd: dir });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject([
      { file: a, ok: true },
      { file: 'bad.json', ok: false, error: expect.stringMatching(/^bad\.json: /) as unknown },
    ]);
    expect((await cli(['validate', a, b])).code).toBe(0);
  });

  it('validate of a graph with several problems names the first on one line; --verbose and --json list them all', async () => {
    const dir = tmpDir();
    const multi = path.join(dir, 'multi.json');
    const nodes = [
      { id: 'a', type: 'transform', config: {} },
      { id: 'b', type: 'frobnicate' },
      { id: 'c', type: 'delay', config: { ms: -1 } },
    ];
    fs.writeFileSync(multi, JSON.stringify({ format: 'statepipe.graph', version: 1, id: 'multi', nodes, edges: [] }));
    const plain = await cli(['validate', multi]);
    expect(plain.code).toBe(2);
    expect(errLines(plain)).toHaveLength(1);
    expect(errLines(plain)[0]).toMatch(/\(\+2 more\)$/);
    for (const args of [
      ['validate', multi, '--verbose'],
      ['--verbose', 'validate', multi],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      const lines = errLines(r);
      expect(lines[0]).toBe(errLines(plain)[0]);
      expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual([
        'nodes[a].config.template',
        expect.stringMatching(/^nodes\[b\]/),
        expect.stringMatching(/^nodes\[c\]/),
      ]);
    }
    const j = await cli(['validate', multi, '--json']);
    expect((JSON.parse(j.stdout) as { problems: string[] }).problems).toHaveLength(3);
  });

  it('invalid UTF-8 in a graph file, inside a string too, is refused naming line and column (JSON and YAML)', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const graph = (value: string) =>
      Buffer.concat([
        Buffer.from(
          '{"format":"statepipe.graph","version":1,"id":"u",\n"nodes":[{"id":"start","type":"input"},{"id":"r","type":"output","config":{"value":"caf',
        ),
        Buffer.from(value, 'latin1'), // one byte 0xE9: "é" in Latin-1, not UTF-8
        Buffer.from(' ok"}}],\n"edges":[{"id":"e1","source":"start","target":"r"}]}\n'),
      ]);
    fs.writeFileSync(path.join(dir, 'latin1.json'), graph('\xe9'));
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, 'latin1.json', '--db', db], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(errLines(r)).toEqual(['statepipe: latin1.json: not valid UTF-8: byte 0xE9 at line 2, column 88']);
    }
    expect(runCount(db)).toBe(0);
    fs.writeFileSync(path.join(dir, 'ok.json'), graph('\xc3\xa9')); // "é" in UTF-8 is fine
    expect((await cli(['validate', 'ok.json'], { cwd: dir })).code).toBe(0);

    const yaml = ['format: statepipe.graph', 'version: 1', 'id: y', 'nodes:', '  - { id: start, type: input }'];
    yaml.push('  - id: r', '    type: output', '    config:', '      value: "ab\xc3\x28"');
    yaml.push('edges:', '  - { id: e1, source: start, target: r }', '');
    fs.writeFileSync(path.join(dir, 'bad.yaml'), Buffer.from(yaml.join('\n'), 'latin1'));
    const y = await cli(['validate', 'bad.yaml'], { cwd: dir });
    expect(y.code).toBe(2);
    expect(errLines(y)).toEqual(['statepipe: bad.yaml: not valid UTF-8: byte 0xC3 at line 9, column 17']);
  });

  it("a code node's syntax error is refused by validate and run, naming the node, the field and the line, before anything runs", async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const nodes = [
      { id: 'start', type: 'input' },
      { id: 'calc', type: 'code', config: { code: 'const x = input.items.map(i => i * 2\nreturn x;)' } },
    ];
    const edges = [{ id: 'e1', source: 'start', target: 'calc' }];
    fs.writeFileSync(
      path.join(dir, 'broken.json'),
      JSON.stringify({ format: 'statepipe.graph', version: 1, id: 'broken', nodes, edges }),
    );
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, 'broken.json', '--db', db], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(errLines(r)).toEqual([
        'statepipe: broken.json: nodes[calc].config.code: syntax error at line 2, column 1: Unexpected token',
      ]);
    }
    expect(runCount(db)).toBe(0);
  });

  it("a code node's error shows its kind once: run, inspect, inspect --node", async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'boom.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        format: 'statepipe.graph',
        version: 1,
        id: 'boom',
        nodes: [
          { id: 'start', type: 'input' },
          { id: 'boom', type: 'code', config: { code: "throw new Error('kaboom')" } },
        ],
        edges: [{ id: 'e1', source: 'start', target: 'boom' }],
      }),
    );
    const r = await cli(['run', file, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ boom failed (code): kaboom\n');
    expect(r.stdout).toMatch(/failed: node boom \(code\): kaboom$/m);
    const runId = /\[run\] id=(run_\w+) started/.exec(r.stdout)![1]!;
    const i = await cli(['inspect', runId, '--db', db]);
    expect(i.stdout).toContain('error    node boom (code): kaboom\n');
    expect(i.stdout).toMatch(/^boom .* code: kaboom$/m);
    expect((await cli(['inspect', runId, '--node', 'boom', '--db', db])).stdout).toContain('error    (code): kaboom\n');
    expect(r.stdout + i.stdout).not.toContain('code: code:');
  });

  const cases: { name: string; args: (dir: string) => string[]; code: number; message: RegExp }[] = [
    {
      name: 'a graph file that is not JSON',
      args: (dir) => {
        fs.writeFileSync(path.join(dir, 'bad.json'), '{ "format": ');
        return ['run', path.join(dir, 'bad.json')];
      },
      code: 2,
      message: /bad\.json.*not valid JSON/,
    },
    {
      name: 'a graph that violates the format (wrong version, bad edge)',
      args: (dir) => [
        'run',
        fastGraph('document-pipeline', dir, (g) => {
          g['version'] = 2;
        }),
        '--input',
        '{"text":"x"}',
      ],
      code: 2,
      message: /document-pipeline\.json.*version/,
    },
    {
      name: 'an edge to a missing node',
      args: (dir) => [
        'validate',
        fastGraph('document-pipeline', dir, (g) => {
          (g['edges'] as unknown[]).push({ id: 'e99', source: 'result', target: 'ghost' });
        }),
      ],
      code: 2,
      message: /ghost/,
    },
    {
      name: 'a missing graph file',
      args: () => ['run', 'graph.json'],
      code: 2,
      message: /^statepipe: graph\.json: no such file$/,
    },
    {
      name: 'an unknown run id',
      args: (dir) => {
        openDatabase(path.join(dir, 'db.sqlite')).close(); // a database that exists, without that run
        return ['inspect', 'run_DOESNOTEXIST'];
      },
      code: 2,
      message: /run_DOESNOTEXIST/,
    },
    {
      name: 'list --parent of an unknown run id',
      args: (dir) => {
        openDatabase(path.join(dir, 'db.sqlite')).close();
        return ['list', '--parent', 'run_NOSUCHPARENT'];
      },
      code: 2,
      message: /run run_NOSUCHPARENT not found/,
    },
    {
      name: "list --all --parent (one says every run, the other one run's children)",
      args: () => ['list', '--all', '--parent', 'run_NOSUCHPARENT'],
      code: 2,
      message: /--all and --parent cannot be used together/,
    },
    {
      name: 'approve of an unknown run id',
      args: () => ['approve', 'run_NOPE', 'approval'],
      code: 2,
      message: /run_NOPE/,
    },
    {
      name: 'a run input failing the input schema',
      args: (dir) => ['run', fastGraph('document-pipeline', dir), '--input', '{"text": 42}'],
      code: 2,
      message: /--input: input\.text/,
    },
    {
      name: 'no input when the schema requires one',
      args: (dir) => ['run', fastGraph('document-pipeline', dir)],
      code: 2,
      message: /text/,
    },
    {
      name: '--input that is not JSON',
      args: (dir) => ['run', fastGraph('document-pipeline', dir), '--input', '{text:'],
      code: 2,
      message: /--input: not valid JSON/,
    },
    {
      name: '--input @file that does not exist',
      args: (dir) => ['run', fastGraph('document-pipeline', dir), '--input', '@nope.json'],
      code: 2,
      message: /--input @nope\.json: no such file/,
    },
    { name: 'an unknown command', args: () => ['frobnicate'], code: 2, message: /unknown command 'frobnicate'/ },
    {
      name: 'an unknown flag',
      args: (dir) => ['run', fastGraph('document-pipeline', dir), '--frob'],
      code: 2,
      message: /unknown option '--frob'/,
    },
    { name: 'a missing argument', args: () => ['approve', 'run_x'], code: 2, message: /missing required argument/ },
    { name: 'a bad --limit', args: () => ['list', '--limit', 'ten'], code: 2, message: /--limit/ },
    { name: 'rerun without --from', args: () => ['rerun', 'run_x'], code: 2, message: /--from/ },
    {
      name: 'a missing --hooks file',
      args: (dir) => ['run', fastGraph('document-pipeline', dir), '--input', '{"text":"a"}', '--hooks', 'nope.mjs'],
      code: 2,
      message: /--hooks nope\.mjs: no such file/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}: exit ${c.code}, one stderr line, no run`, async () => {
      const dir = tmpDir();
      const db = path.join(dir, 'db.sqlite');
      const r = await cli([...c.args(dir), '--db', db], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(c.code);
      const lines = errLines(r);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^statepipe: /);
      expect(lines[0]).toMatch(c.message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(runCount(db)).toBe(0);
    });
  }

  it('a database file that is not ours: exit 4, the file untouched', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'not-ours.db');
    fs.writeFileSync(db, 'hello');
    for (const args of [['list'], ['run', fastGraph('document-pipeline', dir), '--input', '{"text":"a"}']]) {
      const r = await cli([...args, '--db', db]);
      expect(r.code, r.stderr).toBe(4);
      expect(errLines(r)).toHaveLength(1);
      expect(r.stderr).toContain('not-ours.db');
    }
    expect(fs.readFileSync(db, 'utf8')).toBe('hello');
  });

  it('a command that only reads, on a database that does not exist: exit 4 naming it, nothing created', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'typo', 'sub', 'x.db');
    for (const args of [
      ['list'],
      ['list', '--json'],
      ['inspect', 'run_1'],
      ['export', 'run_1'],
      ['export-graph', 'run_1'],
    ]) {
      const r = await cli([...args, '--db', db]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(4);
      expect(errLines(r)).toEqual([
        `statepipe: no database at ${db}: nothing has run with it (a command that only reads creates none; check --db or STATEPIPE_DB)`,
      ]);
      expect(r.stdout).toBe('');
    }
    expect(fs.existsSync(path.join(dir, 'typo'))).toBe(false);
  });

  it('STATEPIPE_DB is used when --db is not given; --db before the command works too', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'env.db');
    const r = await cli(['run', fastGraph('document-pipeline', dir), '--input', '{"text":"Alice"}'], {
      env: { STATEPIPE_DB: db },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(runCount(db)).toBe(1);
    const l = await cli(['--db', db, 'list', '--json']);
    expect((JSON.parse(l.stdout) as unknown[]).length).toBe(1);
  });

  it('with --verbose the first stderr line is still the one-line message', async () => {
    const r = await cli(['run', 'graph.json', '--verbose']);
    expect(r.code).toBe(2);
    expect(errLines(r)[0]).toBe('statepipe: graph.json: no such file');
  });

  it.each([false, true])('--help exits 0 (from source through tsx: %s)', async (source) => {
    const r = await cli(['--help'], { source });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('run');
    expect(r.stdout).toContain('export-graph');
  });
});
