/** The CLI end to end: real processes on a temp database (docs/cli.md). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, cli, fastGraph, runCount, startedRunId, tmpDir } from './cli-test-kit.js';

const DOC_INPUT = JSON.stringify({ text: 'Alice leads ProjectX in Berlin and the team is happy with it' });
const VENDOR_INPUT = JSON.stringify({ vendor: 'Acme', country: 'DE' });

describe.concurrent('statepipe run', { timeout: 120_000 }, () => {
  it("a node retried by hand: inspect's duration is its last try's, not the time the run sat failed", async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db.sqlite');
    const file = path.join(dir, 'flaky.json');
    const draft = { provider: 'mock', model: 'mock-1', prompt: 'x', mock: { reply: 'ok then', failTimes: 1 } };
    fs.writeFileSync(
      file,
      JSON.stringify({
        format: 'statepipe.graph',
        version: 1,
        id: 'flaky',
        nodes: [
          { id: 'start', type: 'input' },
          { id: 'draft', type: 'llm', config: draft },
        ],
        edges: [{ id: 'e1', source: 'start', target: 'draft' }],
      }),
    );
    const failed = await cli(['run', file, '--json', '--db', db]);
    expect(failed.code, failed.stderr).toBe(1);
    const runId = (JSON.parse(failed.stdout) as { runId: string }).runId;
    await new Promise((r) => setTimeout(r, 1500)); // the run sits failed
    const retried = await cli(['retry', runId, 'draft', '--db', db]);
    expect(retried.code, retried.stderr).toBe(0);
    const d = JSON.parse((await cli(['inspect', runId, '--json', '--db', db])).stdout) as {
      nodes: { nodeId: string; durationMs: number; attempts: { startedAt: number; finishedAt: number }[] }[];
    };
    const node = d.nodes.find((n) => n.nodeId === 'draft')!;
    expect(node.attempts).toHaveLength(2);
    const [a1, a2] = node.attempts;
    expect(a2!.startedAt - a1!.finishedAt).toBeGreaterThanOrEqual(1500);
    expect(node.durationMs).toBe(a2!.finishedAt - a2!.startedAt);
  });

  it('runs document-pipeline to success and prints the aggregated result with --json', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db.sqlite');
    const r = await cli(['run', fastGraph('document-pipeline', dir), '--input', DOC_INPUT, '--json', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { runId: string; status: string; result: { result: Record<string, unknown> } };
    expect(doc.status).toBe('succeeded');
    const res = doc.result.result;
    expect(res['entities']).toEqual(['Alice', 'ProjectX', 'Berlin']);
    expect(res['sentiment']).toBe('positive');
    expect(Array.isArray(res['keywords'])).toBe(true);
    expect(typeof res['summary']).toBe('string');
    expect(String(res['summary'])).toContain('Alice');
    // Progress went to stderr, starting with the run id line and ending with the final line.
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`[run] id=${doc.runId} started`);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^\\[run\\] id=${doc.runId} succeeded in \\S+ · \\d+ tokens · \\$0\\.0000$`),
    );
    expect(runCount(db)).toBe(1);
  });

  it('from source (tsx, the fallback of the bin): one progress line per node transition, then the final line (no colours off a TTY)', async () => {
    const dir = tmpDir();
    const r = await cli(
      ['run', path.join(EXAMPLES, 'document-pipeline.json'), '--input', DOC_INPUT, '--db', path.join(dir, 'db')],
      { source: true },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\[run\] id=run_\w+ started$/);
    expect(r.stdout).toMatch(/extract succeeded in \S+ · \d+ tokens/);
    expect(r.stdout).toMatch(/keywords started/);
    expect(lines.at(-1)).toMatch(/^\[run\] id=run_\w+ succeeded in /);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stderr).toBe('');
  });

  it('waits at the approval (exit 3), then `approve` finishes it with approvedBy set (exit 0)', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const r = await cli(['run', fastGraph('vendor-onboarding', dir), '--input', VENDOR_INPUT, '--db', db]);
    expect(r.code, r.stderr).toBe(3);
    const runId = startedRunId(r.stdout);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      `[run] id=${runId} waiting for approval: approval (statepipe approve ${runId} approval)`,
    );
    const a = await cli(['approve', runId, 'approval', '--comment', 'fine', '--by', 'alice', '--json', '--db', db]);
    expect(a.code, a.stderr).toBe(0);
    const doc = JSON.parse(a.stdout) as {
      status: string;
      result: { result: { approvedBy: string; decision: string } };
    };
    expect(doc.status).toBe('succeeded');
    expect(doc.result.result.approvedBy).toBe('alice');
    // Approving again is an illegal transition: exit 2, one line.
    const again = await cli(['approve', runId, 'approval', '--db', db]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain(
      'is not waiting for approval (it is an approval node, status succeeded): it was already approved by alice',
    );
  });

  it('approve without --by records the current user; --reject fails the run (exit 1)', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const g = fastGraph('vendor-onboarding', dir);
    const [r1, r2] = await Promise.all([
      cli(['run', g, '--input', VENDOR_INPUT, '--db', db]),
      cli(['run', g, '--input', VENDOR_INPUT, '--db', db]),
    ]);
    expect([r1.code, r2.code]).toEqual([3, 3]);
    const [ok, rej] = await Promise.all([
      cli(['approve', startedRunId(r1.stdout), 'approval', '--json', '--db', db]),
      cli(['approve', startedRunId(r2.stdout), 'approval', '--reject', '--comment', 'too risky', '--db', db]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const approvedBy = (JSON.parse(ok.stdout) as { result: { result: { approvedBy: string } } }).result.result
      .approvedBy;
    expect(approvedBy).not.toBe('not required');
    expect(approvedBy.length).toBeGreaterThan(0);
    expect(rej.code, rej.stderr).toBe(1);
    expect(rej.stdout.trim().split('\n').at(-1)).toMatch(/failed: node approval \(rejected\): .*too risky/);
  });

  it('--dry-run prints the levels and the token estimate and writes no run', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const r = await cli(['run', fastGraph('document-pipeline', dir), '--input', DOC_INPUT, '--dry-run', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('extract, sentiment, keywords');
    expect(r.stdout).toMatch(/worst-case tokens: \d+/);
    expect(runCount(db)).toBe(0);
    const j = await cli(['run', fastGraph('vendor-onboarding', dir), '--dry-run', '--json', '--db', db]);
    expect(j.code).toBe(0);
    const plan = JSON.parse(j.stdout) as { levels: string[][]; worstCaseTokens: number };
    expect(plan.levels[0]).toEqual(['start']);
    expect(plan.worstCaseTokens).toBeGreaterThan(0);
    expect(runCount(db)).toBe(0);
  });

  it('--jsonl - makes stdout carry only JSON lines with a gapless seq', async () => {
    const dir = tmpDir();
    const r = await cli([
      'run',
      fastGraph('document-pipeline', dir),
      '--input',
      DOC_INPUT,
      '--jsonl',
      '-',
      '--db',
      path.join(dir, 'db'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; runId: string; ts: string; type: string; data: unknown });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe('run.created');
    expect(events.at(-1)!.type).toBe('run.succeeded');
    expect(Object.keys(events[0]!)).toEqual(['seq', 'runId', 'ts', 'type', 'data']);
    expect(r.stderr).toContain('[run] id=');
  });

  it('--jsonl FILE appends events; export gives the same history; export-graph round-trips', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const log = path.join(dir, 'events.jsonl');
    const r = await cli(['run', fastGraph('document-pipeline', dir), '--input', DOC_INPUT, '--jsonl', log, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const runId = startedRunId(r.stdout);
    const ex = await cli(['export', runId, '--db', db]);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toBe(fs.readFileSync(log, 'utf8'));
    const out = path.join(dir, 'export.jsonl');
    expect((await cli(['export', runId, '--out', out, '--db', db])).code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(ex.stdout);

    const graphFile = path.join(dir, 'exported.json');
    const eg = await cli(['export-graph', 'document-pipeline', '--out', graphFile, '--db', db]);
    expect(eg.code, eg.stderr).toBe(0);
    const byRun = await cli(['export-graph', runId, '--db', db]);
    expect(byRun.stdout).toBe(fs.readFileSync(graphFile, 'utf8'));
    const v = await cli(['validate', graphFile]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe('ok: document-pipeline (7 nodes, 9 edges)');
    const again = await cli(['run', graphFile, '--input', DOC_INPUT, '--json', '--db', db]);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { status: string }).status).toBe('succeeded');
  });

  it('list --json, inspect --json, inspect --node, rerun --from, replay', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const r = await cli(['run', fastGraph('document-pipeline', dir), '--input', DOC_INPUT, '--db', db]);
    const runId = startedRunId(r.stdout);
    const list = JSON.parse((await cli(['list', '--json', '--db', db])).stdout) as { runId: string; status: string }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ runId, status: 'succeeded' });

    const ins = await cli(['inspect', runId, '--json', '--db', db]);
    const detail = JSON.parse(ins.stdout) as {
      status: string;
      nodes: { nodeId: string; status: string }[];
      tokens: number;
    };
    expect(detail.status).toBe('succeeded');
    expect(detail.nodes.map((n) => n.nodeId)).toEqual([
      'start',
      'extract',
      'sentiment',
      'keywords',
      'summary',
      'aggregate',
      'result',
    ]);
    expect(detail.nodes.every((n) => n.status === 'succeeded')).toBe(true);
    const table = await cli(['inspect', runId, '--db', db]);
    expect(table.stdout).toMatch(/node\s+type\s+status\s+attempts\s+duration\s+tokens\s+cost\s+error/);
    const node = JSON.parse((await cli(['inspect', runId, '--node', 'extract', '--json', '--db', db])).stdout) as {
      nodeId: string;
    };
    expect(node.nodeId).toBe('extract');
    expect((await cli(['inspect', runId, '--node', 'nope', '--db', db])).code).toBe(2);

    const re = await cli(['rerun', runId, '--from', 'summary', '--json', '--db', db]);
    expect(re.code, re.stderr).toBe(0);
    const rerun = JSON.parse(re.stdout) as { runId: string; status: string };
    expect(rerun.runId).not.toBe(runId);
    expect(re.stderr).toContain(`[run] id=${rerun.runId} started`);
    expect(re.stderr).toContain(`extract reused from ${runId}`);

    const rp = await cli(['replay', runId, '--db', db]);
    expect(rp.code, rp.stdout + rp.stderr).toBe(0);
    expect(rp.stdout).toContain('matches');
    const list2 = JSON.parse((await cli(['list', '--json', '--limit', '1', '--db', db])).stdout) as { runId: string }[];
    expect(list2.map((x) => x.runId)).toEqual([rerun.runId]);
    expect(JSON.parse((await cli(['list', '--json', '--status', 'failed', '--db', db])).stdout)).toEqual([]);
  });

  it('--hooks loads an ES module whose onSuccess runs', async () => {
    const dir = tmpDir();
    const marker = path.join(dir, 'marker.txt');
    const hooks = path.join(dir, 'hooks.mjs');
    fs.writeFileSync(
      hooks,
      `import fs from 'node:fs';\nexport default { onSuccess(ctx) { fs.writeFileSync(${JSON.stringify(marker)}, ctx.runId); } };\n` +
        `export function onProgress() { throw new Error('hook trouble'); }\n`,
    );
    const r = await cli([
      'run',
      fastGraph('document-pipeline', dir),
      '--input',
      DOC_INPUT,
      '--hooks',
      hooks,
      '--db',
      path.join(dir, 'db'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(marker, 'utf8')).toBe(startedRunId(r.stdout));
    expect(r.stderr).toContain('hook onProgress threw: hook trouble'); // logged, never breaks the run
  });

  it.each([
    ['the bundle', false],
    ['source (tsx)', true],
  ])('--hooks hooks.js: an ES module with no package.json loads as Node loads it, from %s', async (_, source) => {
    const dir = tmpDir(); // in the OS temp dir: no package.json above it, so .js is not "type": "module"
    fs.writeFileSync(
      path.join(dir, 'hooks.js'),
      `import fs from 'node:fs';\nexport function onComplete(ctx) { fs.writeFileSync('done.txt', ctx.runId); }\n`,
    );
    const r = await cli(
      [
        'run',
        fastGraph('document-pipeline', dir),
        '--input',
        DOC_INPUT,
        '--hooks',
        'hooks.js',
        '--db',
        path.join(dir, 'db'),
      ],
      { source, cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'done.txt'), 'utf8')).toBe(startedRunId(r.stdout));
  });

  it('a budget pause reports the tokens the run recorded, including nodes that were still running', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const llm = (id: string, reply: string, tokensPerSecond: number) => ({
      id,
      type: 'llm',
      config: { provider: 'mock', model: 'mock-1', prompt: id, mock: { reply, tokensPerSecond } },
    });
    const g = {
      format: 'statepipe.graph',
      version: 1,
      id: 'budget',
      budget: { maxTokens: 5 },
      nodes: [
        { id: 'start', type: 'input' },
        llm('a', 'one two three four five six seven eight', 0),
        llm('b', 'four five six seven eight nine', 30),
        llm('c', 'x', 0),
        { id: 'out', type: 'output', config: { value: '{{nodes.c.output.text}}' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'a' },
        { id: 'e2', source: 'start', target: 'b' },
        { id: 'e3', source: 'a', target: 'c' },
        { id: 'e4', source: 'b', target: 'out' },
        { id: 'e5', source: 'c', target: 'out' },
      ],
    };
    const file = path.join(dir, 'budget.json');
    fs.writeFileSync(file, JSON.stringify(g));
    // a ends past the budget while b still streams: c never starts, b finishes and adds its tokens.
    const r = await cli(['run', file, '--db', db]);
    expect(r.code, r.stderr).toBe(3);
    const runId = startedRunId(r.stdout);
    const recorded = (JSON.parse((await cli(['inspect', runId, '--json', '--db', db])).stdout) as { tokens: number })
      .tokens;
    const atPause = Number(/budget reached: (\d+) tokens/.exec(r.stdout)?.[1]);
    expect(recorded).toBeGreaterThan(atPause);
    expect(r.stdout.trim().split('\n').at(-1)).toContain(
      `paused (budget): ${recorded} tokens · $0.0000 used of maxTokens 5`,
    );
  });

  it('cancel and pause a waiting run; resume a paused one', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const g = fastGraph('vendor-onboarding', dir);
    const [a, b] = await Promise.all([
      cli(['run', g, '--input', VENDOR_INPUT, '--db', db]),
      cli(['run', g, '--input', VENDOR_INPUT, '--db', db]),
    ]);
    const [ca, pb] = await Promise.all([
      cli(['cancel', startedRunId(a.stdout), '--db', db]),
      cli(['pause', startedRunId(b.stdout), '--db', db]),
    ]);
    expect(ca.code, ca.stderr).toBe(1);
    expect(ca.stdout).toMatch(/cancelled$/m);
    expect(pb.code, pb.stderr).toBe(3);
    const res = await cli(['resume', startedRunId(b.stdout), '--db', db]);
    expect(res.code, res.stderr).toBe(3); // back to waiting for the approval
    expect((await cli(['resume', startedRunId(a.stdout), '--db', db])).code).toBe(2); // cancelled: illegal
  });

  it('colours only on a TTY (FORCE_COLOR) and never with --no-color or NO_COLOR', async () => {
    const dir = tmpDir();
    const g = fastGraph('document-pipeline', dir);
    const forced = await cli(['validate', g], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\u001b[');
    const flag = await cli(['validate', g, '--no-color'], { env: { FORCE_COLOR: '1' } });
    expect(flag.stdout).not.toContain('\u001b[');
    const env = await cli(['validate', g], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(env.stdout).not.toContain('\u001b[');
  });
});
