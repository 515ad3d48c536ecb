/**
 * Streaming into the browser: one run of N parallel mock `llm` nodes (long replies, a high
 * `tokensPerSecond`) on a `startServer` instance, opened in the studio page in run mode
 * (`__statepipe.openRun`, as `#run=<id>` does). Measured in the page: tokens arriving over the
 * WebSocket per second, the frame time and the long tasks; measured in the store: the tokens the
 * engine committed per second (`node.tokens` events). Rates are per stream (amount after its first
 * arrival / time from its first to its last arrival, each on its own clock), summed over streams.
 */
import type { Page } from 'playwright-core';
import type { StreamingResult, StreamingRun, StreamingSpec } from './cases.js';
import {
  idleFrames,
  openStudio,
  rateOf,
  resetMessages,
  startRecording,
  stopRecording,
  type Studio,
} from './browser.js';

interface WireEvent {
  seq: number;
  type: string;
  nodeId?: string;
  ts: string;
  data: { text?: string };
}

const MARK = (id: string) => `fin-${id}`;

/** `w0 w1 … w9 w0 …` then an end mark: every token is one whitespace-separated piece. */
export function reply(id: string, tokens: number): string {
  const words = Array.from({ length: tokens - 1 }, (_, i) => `w${i % 10}`);
  return `${words.join(' ')} ${MARK(id)}`;
}

/** start → wait (a delay, so the page opens the run before the streams begin) → s0…sN-1 → out. */
export function streamingGraph(streams: number, tokensPerSecond: number, tokens: number, waitMs: number): unknown {
  const ids = Array.from({ length: streams }, (_, i) => `s${i}`);
  return {
    format: 'statepipe.graph',
    version: 1,
    id: `bench-streams-${streams}`,
    concurrency: Math.max(8, streams + 2),
    nodes: [
      { id: 'start', type: 'input', position: { x: 0, y: (streams * 150) / 2 } },
      { id: 'wait', type: 'delay', position: { x: 0, y: (streams * 150) / 2 + 150 }, config: { ms: waitMs } },
      ...ids.map((id, i) => ({
        id,
        type: 'llm',
        position: { x: 320, y: i * 150 },
        config: {
          provider: 'mock',
          model: 'mock-1',
          prompt: `stream ${id}`,
          mock: { reply: reply(id, tokens), tokensPerSecond },
        },
      })),
      { id: 'out', type: 'output', position: { x: 680, y: (streams * 150) / 2 }, config: { value: 'done' } },
    ],
    edges: [
      { id: 'w', source: 'start', target: 'wait' },
      ...ids.map((id) => ({ id: `a-${id}`, source: 'wait', target: id })),
      ...ids.map((id) => ({ id: `b-${id}`, source: id, target: 'out' })),
    ],
  };
}

const countTokens = (text: string): number => text.match(/\S+/g)?.length ?? 0;

/** Sum over streams of each stream's own rate, and the totals. */
function perStream(series: Map<string, { t: number; n: number }[]>): {
  tokens: number;
  perSec: number;
  streamSec: number[];
} {
  let tokens = 0;
  let perSec = 0;
  const streamSec: number[] = [];
  for (const xs of series.values()) {
    const r = rateOf(xs);
    tokens += r.total;
    if (Number.isFinite(r.perSec)) {
      perSec += r.perSec;
      streamSec.push(r.perSec);
    }
  }
  return { tokens, perSec, streamSec };
}

function group<T>(
  xs: T[],
  key: (x: T) => string,
  val: (x: T) => { t: number; n: number },
): Map<string, { t: number; n: number }[]> {
  const m = new Map<string, { t: number; n: number }[]>();
  for (const x of xs) (m.get(key(x)) ?? m.set(key(x), []).get(key(x))!).push(val(x));
  return m;
}

async function waitTerminal(s: Studio, runId: string, timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const r = await s.call<{ status: string }>('runs.get', { runId });
    if (['succeeded', 'failed', 'cancelled'].includes(r.status)) return r.status;
    if (Date.now() - t0 > timeoutMs) return `${r.status} (timed out)`;
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function streamRun(
  s: Studio,
  page: Page,
  streams: number,
  tps: number,
  tokens: number,
  waitMs: number,
): Promise<StreamingRun> {
  const graph = streamingGraph(streams, tps, tokens, waitMs);
  await resetMessages(page);
  const t0 = performance.now();
  const { runId } = await s.call<{ runId: string }>('runs.start', { graph, input: {} });
  // Open the run (the run view, as a #run= link does) while its delay runs, let the canvas settle, then record frames.
  await page.evaluate(
    (id) => (window as unknown as { __statepipe: { openRun(id: string): Promise<void> } }).__statepipe.openRun(id),
    runId,
  );
  await page.locator(`[data-testid="node-s${streams - 1}"]`).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(Math.max(0, waitMs - 200 - (performance.now() - t0)));
  const openedMs = performance.now() - t0;
  await startRecording(page, false);
  const status = await waitTerminal(s, runId, 120_000);
  const runMs = performance.now() - t0;
  await page.waitForTimeout(400); // the last feed frame and page frame
  const rec = await stopRecording(page);

  const { events } = await s.call<{ events: WireEvent[] }>('runs.events', { runId, afterSeq: 0, limit: 100_000 });
  const committed = events.filter((e) => e.type === 'node.tokens');
  const produced = perStream(
    group(
      committed,
      (e) => e.nodeId ?? '',
      (e) => ({ t: Date.parse(e.ts), n: countTokens(e.data.text ?? '') }),
    ),
  );
  const delivered = perStream(
    group(
      rec.tokens,
      (x) => x[1],
      (x) => ({ t: x[0], n: x[2] }),
    ),
  );
  const lengths = await page.evaluate(async () => {
    const v = await (
      window as unknown as {
        __statepipe: { run(): Promise<{ nodes: Record<string, { stream: string }> } | null> };
      }
    ).__statepipe.run();
    return v ? Object.fromEntries(Object.entries(v.nodes).map(([k, n]) => [k, n.stream])) : {};
  });
  const ids = Array.from({ length: streams }, (_, i) => `s${i}`);
  const folded = ids.filter((id) => lengths[id] === reply(id, tokens)).length;
  const shown = await Promise.all(
    ids.map(async (id) =>
      (
        (await page
          .locator(`[data-testid="node-stream-${id}"]`)
          .textContent({ timeout: 2000 })
          .catch(() => '')) ?? ''
      ).includes(MARK(id)),
    ),
  );
  return {
    streams,
    nominalTokensPerSecond: tps,
    tokensPerReply: tokens,
    status,
    runMs,
    openedMs,
    committedEvents: committed.length,
    producedTokens: produced.tokens,
    producedPerSec: produced.perSec,
    producedPerStreamSec: produced.streamSec,
    deliveredTokens: delivered.tokens,
    deliveredPerSec: delivered.perSec,
    deliveredMessages: rec.tokens.length,
    deliveredBytes: rec.bytes,
    ratio: delivered.perSec / produced.perSec,
    complete: delivered.tokens === produced.tokens && produced.tokens === streams * tokens,
    foldedStreams: folded,
    shownStreams: shown.filter(Boolean).length,
    frames: rec.frames,
  };
}

export async function streamingCase(spec: StreamingSpec): Promise<StreamingResult> {
  const s = await openStudio(spec.dir);
  try {
    const idle = await idleFrames(s.page, spec.idleMs);
    const runs: StreamingRun[] = [];
    for (const r of spec.runs)
      runs.push(await streamRun(s, s.page, r.streams, r.tokensPerSecond, r.tokens, spec.waitMs));
    return { kind: 'streaming', idle, runs };
  } finally {
    await s.close();
  }
}
