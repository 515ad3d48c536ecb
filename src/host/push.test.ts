import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostMessage, WireEvent } from '../contract/push.js';
import { ev } from '../core/events.js';
import { EventFeed } from './event-feed.js';
import { eventMessages, helloMessage, pushFeed } from './push.js';
import { openStore } from './store/index.js';
import { leaseWriter, logEvents, newRun, nid, rid, tmpDir } from './store/test-helpers.js';

const wire = (runId: string, seq: number): WireEvent =>
  ({ seq, runId, ts: new Date(seq).toISOString(), type: 'node.log', nodeId: 'ask', data: {} }) as WireEvent;

const seqsOf = (msgs: HostMessage[], runId: string): number[] =>
  msgs.flatMap((m) => (m.kind === 'events' && m.runId === runId ? m.events.map((e) => e.seq) : []));

describe('the push channel (host/push.ts)', () => {
  it('turns a frame into one message per run, each in ascending seq, runs in the order they came', () => {
    const frame = [wire('run_b', 7), wire('run_a', 3), wire('run_b', 5), wire('run_a', 1), wire('run_b', 6)];
    const msgs = eventMessages(frame);
    expect(msgs.map((m) => (m.kind === 'events' ? m.runId : m.kind))).toEqual(['run_b', 'run_a']);
    expect(seqsOf(msgs, 'run_b')).toEqual([5, 6, 7]);
    expect(seqsOf(msgs, 'run_a')).toEqual([1, 3]);
  });

  const dir = tmpDir();
  const stores: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  it('pushes what a real store commits, per run in ascending seq with no gap, after a hello', async () => {
    const store = await openStore(path.join(dir, 'push.db'));
    stores.push(store);
    const feed = await EventFeed.open(store, { pollMs: 5, frameMs: 5 });
    const sent: HostMessage[] = [helloMessage(feed)];
    const off = pushFeed(feed, (m) => sent.push(m));
    feed.start();
    try {
      const write = leaseWriter(store);
      for (const id of ['run_push_a', 'run_push_b']) await store.createRun(newRun(id));
      // Two runs written in turns, some in one frame, some across frames.
      for (let i = 0; i < 6; i++) {
        await write('run_push_a', logEvents(3));
        await write('run_push_b', [ev('node.tokens', { attempt: 1, text: `t${i}` }, nid('ask'))]);
        if (i % 2) await new Promise((r) => setTimeout(r, 15));
      }
      const lastA = (await store.getRunRow(rid('run_push_a')))!.lastSeq;
      const lastB = (await store.getRunRow(rid('run_push_b')))!.lastSeq;
      const end = Date.now() + 10_000;
      while (Math.max(0, ...seqsOf(sent, 'run_push_a')) < lastA || Math.max(0, ...seqsOf(sent, 'run_push_b')) < lastB) {
        if (Date.now() > end) throw new Error('the feed did not push every event');
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      off();
      feed.stop();
    }
    expect(sent[0]).toEqual({ kind: 'hello', lastEventCursor: 0 });
    for (const runId of ['run_push_a', 'run_push_b']) {
      const seqs = seqsOf(sent, runId);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    // run_push_a's events (run.created, then logs) are never merged: every seq arrives.
    expect(seqsOf(sent, 'run_push_a')).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
  });
});
