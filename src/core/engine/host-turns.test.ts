/**
 * A long run of pure nodes lets its host breathe: the driver gives the event loop a turn every
 * few milliseconds, so a web host keeps answering, and a pause sent mid-run lands mid-run.
 */
import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import { realClock } from './clock.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { graph } from './test-kit.js';

const N = 3000;

function chain() {
  const nodes: GraphNode[] = [{ id: 'in', type: 'input', config: {} }];
  const edges = [];
  for (let i = 0; i < N; i++) {
    nodes.push({ id: `t${i}`, type: 'transform', config: { template: `{{ ${i} }}` } });
    edges.push({ id: `e${i}`, source: i === 0 ? 'in' : `t${i - 1}`, target: `t${i}` });
  }
  return graph({ nodes, edges });
}

function realEngine() {
  const store = new MemoryStore(() => Date.now());
  return {
    store,
    engine: new Engine({ store, clock: realClock, runners: {}, owner: { id: 'test' }, controlPollMs: 60_000 }),
  };
}

/** Counts timer callbacks (and the longest wait between two) until stopped. */
function ticker() {
  const t = { ticks: 0, longestGapMs: 0, stop: false };
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    t.ticks++;
    t.longestGapMs = Math.max(t.longestGapMs, now - last);
    last = now;
    if (!t.stop) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return t;
}

describe('a long run of pure nodes gives its host turns', () => {
  it('timers keep firing while a 3 000-node chain of transforms runs', async () => {
    const { engine } = realEngine();
    const g = chain();
    const t = ticker();
    const t0 = performance.now();
    const o = await engine.start(g, {}, { graphHash: 'h' });
    const wallMs = performance.now() - t0;
    t.stop = true;
    expect(o.status).toBe('succeeded');
    // Without turns the chain holds the event loop to its end: no tick at all, one gap as long as
    // the run. With them, ticks all along (a loaded machine stretches every gap alike, so the
    // longest is measured against the run's own length, not a fixed number of milliseconds).
    expect(t.ticks).toBeGreaterThan(3);
    expect(t.longestGapMs).toBeLessThan(wallMs / 2);
  });

  it('a pause requested from a timer mid-run stops the chain part-way, and resume finishes it', async () => {
    const { engine, store } = realEngine();
    const g = chain();
    const runId = await engine.createRun(g, {}, { graphHash: 'h' });
    const running = engine.drive(runId);
    await new Promise((r) => setTimeout(r, 20));
    await engine.pause(runId);
    const o = await running;
    expect(o.status).toBe('paused');
    const done = () => store.snapshot(runId as RunId).events.filter((e) => e.type === 'node.succeeded').length;
    expect(done()).toBeGreaterThan(0);
    expect(done()).toBeLessThan(N + 1);
    expect((await engine.resume(runId)).status).toBe('succeeded');
    expect(done()).toBe(N + 1);
  });
});
