/**
 * Token coalescing for clients: within one frame, consecutive `node.tokens` events of the
 * same node become one event (texts joined; `seq` is the last one and `data.mergedSeqs` lists
 * every seq it stands for), so a client gets at most one token message per node per frame.
 * A frame always carries every event up to its highest seq, so a client that reconnects
 * asks for the events after the highest seq it has seen: no gap and no duplicate.
 */
import type { RunEvent } from '../core/events.js';

export type WireEvent = RunEvent & { data: RunEvent['data'] & { mergedSeqs?: number[] } };

export function coalesceTokens(events: readonly RunEvent[]): WireEvent[] {
  const out: WireEvent[] = [];
  /** Index in `out` of the open tokens event of each run+node. */
  const open = new Map<string, number>();
  for (const e of events) {
    const key = `${e.runId}\u0000${e.nodeId ?? ''}`;
    if (e.type === 'node.tokens') {
      const at = open.get(key);
      const prev = at === undefined ? undefined : out[at];
      if (prev && prev.type === 'node.tokens' && prev.data.attempt === e.data.attempt) {
        out[at!] = {
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
      open.set(key, out.length);
      out.push(e as WireEvent);
      continue;
    }
    if (e.nodeId !== undefined) open.delete(key);
    out.push(e as WireEvent);
  }
  return out;
}
