/** Batch runs: `run GRAPH --inputs FILE.jsonl --concurrency N`. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, errLines, fastGraph, runCount, tmpDir } from './cli-test-kit.js';

describe.concurrent('statepipe run --inputs', () => {
  it('runs one run per line, N at a time, and prints the summary line', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const inputs = path.join(dir, 'in.jsonl');
    fs.writeFileSync(
      inputs,
      [1, 2, 3, 4, 5].map((i) => JSON.stringify({ text: `document ${i} about Alice` })).join('\n') + '\n',
    );
    const r = await cli([
      'run',
      fastGraph('document-pipeline', dir),
      '--inputs',
      inputs,
      '--concurrency',
      '2',
      '--db',
      db,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('batch: 5 runs: 5 succeeded, 0 failed, 0 waiting');
    expect(runCount(db)).toBe(5);
    expect(r.stderr.match(/^\[batch\] \d\/5/gm)).toHaveLength(5); // plain progress lines off a TTY
  });

  it('one input: "batch: 1 run"', async () => {
    const dir = tmpDir();
    const inputs = path.join(dir, 'in.jsonl');
    fs.writeFileSync(inputs, '{"text":"Alice"}\n');
    const r = await cli(['run', fastGraph('document-pipeline', dir), '--inputs', inputs, '--db', path.join(dir, 'db')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('batch: 1 run: 1 succeeded, 0 failed, 0 waiting');
  });

  it('exits with the worst outcome: 3 when some runs wait, 1 when some fail', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    // The screening prompt reads the optional country with no fallback (the example has one).
    const g = fastGraph('vendor-onboarding', dir, (graph) => {
      const screen = (graph['nodes'] as { id: string; config: Record<string, unknown> }[]).find(
        (n) => n.id === 'policy_screen',
      )!;
      screen.config['prompt'] = 'Screen {{input.vendor}} from {{input.country}} against the vendor policy.';
    });
    const inputs = path.join(dir, 'in.jsonl');
    fs.writeFileSync(inputs, '{"vendor":"a","country":"x"}\n{"vendor":"b","country":"y"}\n');
    const w = await cli(['run', g, '--inputs', inputs, '--db', db]);
    expect(w.code, w.stderr).toBe(3);
    expect(w.stdout).toContain('batch: 2 runs: 0 succeeded, 0 failed, 2 waiting');
    // The second line has no country: its screening template fails, so that run fails.
    fs.writeFileSync(inputs, '{"vendor":"a","country":"x"}\n{"vendor":"b"}\n');
    const f = await cli(['run', g, '--inputs', inputs, '--concurrency', '2', '--json', '--db', db]);
    expect(f.code, f.stderr).toBe(1);
    const doc = JSON.parse(f.stdout) as {
      total: number;
      failed: number;
      waiting: number;
      runs: { line: number; status: string }[];
    };
    expect(doc).toMatchObject({ total: 2, failed: 1, waiting: 1 });
    expect(doc.runs.map((x) => [x.line, x.status])).toEqual([
      [1, 'waiting'],
      [2, 'failed'],
    ]);
    expect(f.stderr).toContain('batch: 2 runs: 0 succeeded, 1 failed, 1 waiting');
  });

  it('refuses a line that is not JSON (naming it) before any run starts', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const inputs = path.join(dir, 'in.jsonl');
    fs.writeFileSync(inputs, '{"text":"ok"}\n{"text":"ok"}\n{not json\n');
    const r = await cli(['run', fastGraph('document-pipeline', dir), '--inputs', inputs, '--db', db]);
    expect(r.code).toBe(2);
    expect(errLines(r)).toEqual([expect.stringMatching(/^statepipe: .*in\.jsonl:3: not valid JSON/)]);
    expect(runCount(db)).toBe(0);
    fs.writeFileSync(inputs, '{"text":"ok"}\n{"txt":"no"}\n');
    const s = await cli(['run', fastGraph('document-pipeline', dir), '--inputs', inputs, '--db', db]);
    expect(s.code).toBe(2);
    expect(errLines(s)[0]).toMatch(/in\.jsonl:2: input/);
    expect(runCount(db)).toBe(0);
  });

  it('refuses a bad --concurrency', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'in.jsonl'), '{"text":"ok"}\n');
    const r = await cli([
      'run',
      fastGraph('document-pipeline', dir),
      '--inputs',
      path.join(dir, 'in.jsonl'),
      '--concurrency',
      '0',
      '--db',
      path.join(dir, 'db'),
    ]);
    expect(r.code).toBe(2);
    expect(errLines(r)[0]).toMatch(/--concurrency/);
  });
});
