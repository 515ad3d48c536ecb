/**
 * Token coalescing for clients: within one frame, ADJACENT `node.tokens` events of the same node
 * and attempt become one event (texts joined; `seq` is the last one and `data.mergedSeqs` lists
 * every seq it stands for), so a steady stream costs one token message per node per frame.
 * Only adjacent ones: merging across another event would put the merged event (with its last
 * seq) before an event of lower seq, and a client that skips what it has seen (the fold keeps
 * the highest seq applied) would drop that event, leaving e.g. a node `queued` forever. So the
 * frame keeps ascending seq order, and always carries every event up to its highest seq: a
 * client that reconnects asks for the events after the highest seq it has seen, with no gap
 * and no duplicate.
 */
import type { WireEvent } from '../contract/push.js';
import type { RunEvent } from '../core/events.js';

export function coalesceTokens(events: readonly RunEvent[]): WireEvent[] {
  const out: WireEvent[] = [];
  for (const e of events) {
    const prev = out[out.length - 1];
    if (
      e.type === 'node.tokens' &&
      prev?.type === 'node.tokens' &&
      prev.runId === e.runId &&
      prev.nodeId === e.nodeId &&
      prev.data.attempt === e.data.attempt
    ) {
      out[out.length - 1] = {
        ...prev,
        seq: e.seq,
        ts: e.ts,
        data: {
          ...prev.data,
          text: prev.data.text + e.data.text,
          mergedSeqs: [...(prev.data.mergedSeqs ?? [prev.seq]), e.seq],
        },
      };
      continue;
    }
    out.push(e as WireEvent);
  }
  return out;
}
