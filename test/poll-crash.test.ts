/**
 * Long-running http polling survives a SIGKILL between polls (issue: production integrations):
 * the real CLI is killed right after a poll was recorded; `statepipe resume` polls on from the
 * record and the job API sees exactly one submit.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jobServer, pollGraph, type JobServer } from '../src/host/runners/poll-server.js';
import { cli, cliKilledAt, tempDir } from './cli-harness.js';

let job: JobServer;
beforeAll(async () => {
  job = await jobServer(3);
});
afterAll(() => job.close());

it('resumes polling after a SIGKILL without submitting again', async () => {
  const dir = tempDir();
  const file = join(dir, 'long-job.json');
  // A POST submit is `unsafe`: without the durable submit record it would become in-doubt.
  writeFileSync(file, JSON.stringify(pollGraph(job.url, { intervalMs: 250, maxWaitMs: 20_000 })));
  const db = join(dir, 'sp.db');
  const killed = await cliKilledAt(
    ['run', file, '--db', db, '--input', '{"n":1}'],
    (e) => e.type === 'node.poll' && (e as unknown as { data: { polls: number } }).data.polls === 1,
  );
  expect(killed.killed, killed.stderr).toBe(true);
  expect(job.submits).toBe(1);
  expect(job.polls).toBe(1);
  const runId = killed.acknowledged[0]!.runId!;

  const inspect = await cli(['inspect', runId, '--db', db, '--node', 'job']);
  expect(inspect.stdout).toMatch(/polling {2}submitted .* · 1 polls · next poll at \d{4}-/);

  const resumed = await cli(['resume', runId, '--db', db, '--json']);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'succeeded', result: { result: 42 } });
  expect(job.submits).toBe(1);
  expect(job.polls).toBe(3);
  expect(job.keys).toEqual([`${runId}:job:1`]);
}, 60_000);
