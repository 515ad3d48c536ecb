import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseGraphText } from '../graph/validate.js';
import { nodeSeq, testEngine } from './test-kit.js';

describe('engine smoke', () => {
  it('runs vendor-onboarding to the approval and on to success', async () => {
    const g = parseGraphText(
      readFileSync(new URL('../../../examples/vendor-onboarding.json', import.meta.url), 'utf8'),
    );
    const { engine, events } = testEngine();
    const out = await engine.start(g, { vendor: 'Acme', country: 'DE' }, { graphHash: 'h' });
    expect(out.status).toBe('waiting');
    expect(out.waitingFor).toEqual(['approval']);
    const done = await engine.approve(out.runId as never, 'approval', { approved: true, by: 'ana' });
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ result: { vendor: 'Acme', approvedBy: 'ana' } });
    expect(nodeSeq(events, 'approval')).toEqual([
      'node.queued',
      'node.started',
      'approval.requested',
      'approval.granted',
      'node.succeeded',
    ]);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});
