/**
 * `--dry-run` (docs/cli.md "Run flags"): on `run` a plan whose worst case bounds the real run; on `resume`,
 * `approve`, `retry` and `rerun` the control is checked as the engine would check it and what
 * it would leave to run is planned; nothing is executed or written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fastGraph, runCount, tmpDir } from './cli-test-kit.js';

const DOC_INPUT = JSON.stringify({ text: 'Alice leads ProjectX in Berlin and the team is happy with it' });
const VENDOR_INPUT = JSON.stringify({ vendor: 'Acme', country: 'DE' });

interface Plan {
  order: string[];
  worstCaseTokens: number;
  modelCalls: number;
  tokensSoFar?: number;
}

const eventCount = async (db: string, runId: string) =>
  (await cli(['export', runId, '--db', db])).stdout.trim().split('\n').length;

describe.concurrent('--dry-run', () => {
  it('run: the worst case is not below what the run then uses', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const graph = fastGraph('document-pipeline', dir);
    const plan = JSON.parse(
      (await cli(['run', graph, '--input', DOC_INPUT, '--dry-run', '--json', '--db', db])).stdout,
    ) as Plan;
    const real = JSON.parse((await cli(['run', graph, '--input', DOC_INPUT, '--json', '--db', db])).stdout) as {
      tokens: number;
    };
    expect(real.tokens).toBeGreaterThan(0);
    expect(plan.worstCaseTokens).toBeGreaterThanOrEqual(real.tokens);
  });

  it('run --inputs: the tokens of every run in the batch add up', async () => {
    const dir = tmpDir();
    const graph = fastGraph('document-pipeline', dir);
    const inputs = path.join(dir, 'in.jsonl');
    fs.writeFileSync(inputs, `${DOC_INPUT}\n${DOC_INPUT}\n`);
    const one = JSON.parse((await cli(['run', graph, '--input', DOC_INPUT, '--dry-run', '--json'])).stdout) as Plan;
    const two = JSON.parse((await cli(['run', graph, '--inputs', inputs, '--dry-run', '--json'])).stdout) as Plan;
    expect(two.worstCaseTokens).toBe(2 * one.worstCaseTokens);
    expect(two.modelCalls).toBe(2 * one.modelCalls);
  });

  it('approve, resume, rerun on a waiting run: what is left is planned and nothing is written; a wrong node is refused', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const waiting = await cli([
      'run',
      fastGraph('vendor-onboarding', dir),
      '--input',
      VENDOR_INPUT,
      '--json',
      '--db',
      db,
    ]);
    expect(waiting.code, waiting.stderr).toBe(3);
    const runId = (JSON.parse(waiting.stdout) as { runId: string }).runId;
    const before = await eventCount(db, runId);

    const approve = await cli(['approve', runId, 'approval', '--dry-run', '--db', db]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toMatch(
      /approve approval of run_\w+ \(vendor-onboarding\) · 2 nodes left · \d+ tokens used so far · nothing executed, nothing written/,
    );
    expect(approve.stdout).toContain('order: final_decision → result');

    const resume = JSON.parse((await cli(['resume', runId, '--dry-run', '--json', '--db', db])).stdout) as Plan;
    expect(resume.order).toEqual(['approval', 'final_decision', 'result']);
    expect(resume.tokensSoFar).toBeGreaterThan(0);

    const rerun = JSON.parse(
      (await cli(['rerun', runId, '--from', 'policy_screen', '--dry-run', '--json', '--db', db])).stdout,
    ) as Plan;
    expect(rerun.order[0]).toBe('policy_screen');
    expect(rerun.modelCalls).toBeGreaterThan(0);

    const wrong = await cli(['approve', runId, 'policy_screen', '--dry-run', '--db', db]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe(
      `statepipe: node policy_screen of run ${runId} is not waiting for approval (it is an llm node, status succeeded)`,
    );
    const retry = await cli(['retry', runId, 'approval', '--dry-run', '--db', db]);
    expect(retry.code).toBe(2);
    expect(retry.stderr).toContain('only a failed or in-doubt node can be retried');

    // cancel and pause have nothing to plan: --dry-run is refused, not ignored.
    const cancel = await cli(['cancel', runId, '--dry-run', '--db', db]);
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toContain("unknown option '--dry-run'");

    expect(await eventCount(db, runId)).toBe(before);
    expect(runCount(db)).toBe(1);
  });

  it('retry of a failed node: the node and the nodes its failure skipped come back', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'db');
    const file = path.join(dir, 'fails.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        format: 'statepipe.graph',
        version: 1,
        id: 'fails',
        nodes: [
          { id: 'start', type: 'input' },
          { id: 'boom', type: 'code', config: { code: 'throw new Error("kaboom")' } },
          {
            id: 'after',
            type: 'llm',
            config: {
              provider: 'mock',
              model: 'm',
              prompt: 'after {{ nodes.boom.output }}',
              mock: { reply: 'one two three', tokensPerSecond: 0 },
            },
          },
        ],
        edges: [
          { id: 'e1', source: 'start', target: 'boom' },
          { id: 'e2', source: 'boom', target: 'after' },
        ],
      }),
    );
    const failed = await cli(['run', file, '--json', '--db', db]);
    expect(failed.code).toBe(1);
    const runId = (JSON.parse(failed.stdout) as { runId: string }).runId;
    const plan = JSON.parse((await cli(['retry', runId, 'boom', '--dry-run', '--json', '--db', db])).stdout) as Plan;
    expect(plan.order).toEqual(['boom', 'after']);
    expect(plan.modelCalls).toBe(1);
    expect(plan.worstCaseTokens).toBeGreaterThanOrEqual(3);
  });
});
