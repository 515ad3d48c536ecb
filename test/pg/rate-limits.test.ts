/**
 * Provider rate limits shared by every worker on the database (docs/scale-out.md "Rate limits"):
 * two `statepipe worker` processes with `STATEPIPE_LIMITS` of 4 requests a minute drive 12 runs
 * whose llm node calls a counting OpenAI-compatible server on 127.0.0.1; the server sees 4
 * requests within the minute across both workers, not 4 from each.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../../src/cli/cli-test-kit.js';
import { openAiServer } from '../../src/host/providers/test-servers.js';
import { testDatabase } from './db.js';
import { claimedBy, killAll, sleep, startWorkerWith, until, type Worker } from './worker-kit.js';

const LIMIT = 4;
const workers: Worker[] = [];
afterAll(() => killAll(workers));

describe('provider rate limits on PostgreSQL', () => {
  it(`holds every worker on the database to ${LIMIT} requests a minute together`, async () => {
    const db = await testDatabase();
    const llm = await openAiServer();
    llm.defaultTurn = { text: 'ok' };
    const dir = tmpDir();
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'ask',
      nodes: [
        { id: 'start', type: 'input' },
        {
          id: 'ask',
          type: 'llm',
          config: { provider: 'openai-compatible', baseURL: `${llm.url}/v1`, model: 'm', prompt: 'Hi {{input.n}}' },
        },
      ],
      edges: [{ id: 'e', source: 'start', target: 'ask' }],
    };
    fs.writeFileSync(path.join(dir, 'ask.json'), JSON.stringify(graph));
    fs.writeFileSync(
      path.join(dir, 'inputs.jsonl'),
      Array.from({ length: 12 }, (_, n) => JSON.stringify({ n })).join('\n') + '\n',
    );
    try {
      const queued = await cli(['run', 'ask.json', '--inputs', 'inputs.jsonl', '--detach', '--db', db], { cwd: dir });
      expect(queued.code, queued.stderr).toBe(0);
      const env = { STATEPIPE_LIMITS: JSON.stringify({ 'openai-compatible': { requestsPerMinute: LIMIT } }) };
      for (const name of ['a', 'b']) workers.push(await startWorkerWith(env, db, name, dir));
      // Both workers hold runs whose requests wait for the shared window.
      await until('both workers claim runs', () => workers.every((w) => claimedBy(w) >= 2));
      await until('the first requests', () => llm.seen.length >= LIMIT, 30_000);
      const first = llm.seen[0]!.at;
      // Long enough for each worker to have sent its own LIMIT had it counted alone.
      await sleep(6_000);
      const inMinute = llm.seen.filter((r) => r.at < first + 60_000);
      expect(inMinute.length, `requests seen: ${llm.seen.length}`).toBe(LIMIT);
      for (const w of workers) expect(w.out.join('\n')).not.toMatch(/error/);
    } finally {
      killAll(workers);
      await llm.close();
    }
  }, 90_000);
});
