/**
 * Long-running http nodes (config.poll): submit once, poll durably until `until`; maxWaitMs
 * fails with kind `timeout`; the node's own timeoutMs does not cut a long poll; `inspect`
 * shows the next poll time. (The restart case, with a real SIGKILL: test/poll-crash.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import { validateGraph } from '../../core/graph/validate.js';
import { StatepipeService } from '../service.js';
import { jobServer, pollGraph, type JobServer } from './poll-server.js';

let job: JobServer | undefined;
let svc: StatepipeService | undefined;
afterEach(async () => {
  await svc?.close();
  await job?.close();
  svc = job = undefined;
});

async function open(): Promise<{ svc: StatepipeService; events: RunEvent[] }> {
  svc = await StatepipeService.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'sp-poll-')), 'sp.db') });
  const events: RunEvent[] = [];
  svc.subscribe((b) => events.push(...b));
  return { svc, events };
}

describe('http polling', () => {
  it('submits once and polls until done, past the node timeoutMs, showing the next poll time', async () => {
    job = await jobServer(3);
    const { svc, events } = await open();
    let seen: Promise<unknown> | undefined;
    svc.subscribe((b) => {
      if (seen === undefined && b.some((e) => e.type === 'node.poll'))
        seen = svc.inspect(b[0]!.runId).then((d) => d.nodes.find((n) => n.nodeId === 'job')!.poll);
    });
    const graph = pollGraph(job.url, { intervalMs: 60, maxWaitMs: 5000 }, { timeoutMs: 100 }) as Graph;
    const out = await svc.startRun(graph, { n: 1 });
    expect(out.status, JSON.stringify(out.error)).toBe('succeeded');
    expect(out.result).toEqual({ result: 42 });
    expect(job.submits).toBe(1);
    expect(job.polls).toBe(3);
    const polls = events.filter((e) => e.type === 'node.poll');
    expect(polls.map((e) => (e.type === 'node.poll' ? e.data.polls : -1))).toEqual([0, 1, 2]);
    expect(polls[0]?.type === 'node.poll' && polls[0].data.submitted).toMatchObject({
      status: 202,
      body: { id: 'job-1' },
    });
    expect(await seen).toMatchObject({ polls: 0, nextPollAt: expect.stringMatching(/^\d{4}-/) });
    const node = (await svc.inspect(out.runId)).nodes.find((n) => n.nodeId === 'job')!;
    expect(node.output).toMatchObject({ status: 200, body: { state: 'done' }, polls: 3 });
    expect(node.poll).toMatchObject({ polls: 2 });
    expect(node.poll?.nextPollAt).toBeUndefined();
    // replay re-drives from the record: no request, same transitions
    const replay = await svc.replay(out.runId);
    expect(replay, replay.differences.join('\n')).toMatchObject({ matches: true });
    expect(job.submits + job.polls).toBe(4);
  });

  it('fails with kind timeout past maxWaitMs, without retrying or submitting again', async () => {
    job = await jobServer(Infinity);
    const { svc } = await open();
    const graph = pollGraph(
      job.url,
      { intervalMs: 30, maxWaitMs: 120 },
      { retry: { maxAttempts: 3, backoffMs: 1 } },
    ) as Graph;
    const out = await svc.startRun(graph, { n: 1 });
    expect(out.status).toBe('failed');
    expect(out.error).toMatchObject({ kind: 'timeout', nodeId: 'job' });
    expect(out.error?.message).toMatch(/maxWaitMs \(120 ms/);
    expect(job.submits).toBe(1);
    expect((await svc.inspect(out.runId)).nodes.find((n) => n.nodeId === 'job')!.attempts).toHaveLength(1);
  });

  it('checks poll fields when validating', async () => {
    const bad = pollGraph('http://127.0.0.1:1', { intervalMs: 5, maxWaitMs: 100 });
    expect(() => validateGraph(bad)).toThrow(/nodes\[job\]\.config\.poll\.intervalMs/);
    const noUntil = pollGraph('http://127.0.0.1:1', { intervalMs: 50, maxWaitMs: 100 });
    (noUntil.nodes[1]!.config as { poll: Record<string, unknown> }).poll['until'] = 'response.body.state = ';
    expect(() => validateGraph(noUntil)).toThrow(/poll\.until/);
    const short = pollGraph('http://127.0.0.1:1', { intervalMs: 500, maxWaitMs: 100 });
    expect(() => validateGraph(short)).toThrow(/maxWaitMs must be at least intervalMs/);
  });
});
