/**
 * The studio canvas in Chromium: a graph of `chains` parallel chains of short `delay` nodes (plus
 * an input node and cross edges between neighbouring chains) is imported through the toolbar's
 * `import-graph` file input, then measured in the page (requestAnimationFrame deltas, long tasks):
 * idle, while panning (mouse drag on the pane), while zooming (mouse wheel), and while a real run
 * of it on the server moves `chains` nodes through their states every `delayMs` (Run button of
 * the editor; runs repeated until `liveMs` passed).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { CanvasGraphResult, CanvasGraphSpec, CanvasResult, CanvasSpec } from './cases.js';
import { frameStats, idleFrames, openStudio, startRecording, stopRecording, type FrameStats } from './browser.js';

export function canvasGraph(g: CanvasGraphSpec, delayMs: number): { graph: unknown; nodes: number; edges: number } {
  const levels = Math.ceil(g.nodes / g.chains);
  const id = (c: number, l: number) => `c${c}_${l}`;
  const nodes: unknown[] = [{ id: 'start', type: 'input', position: { x: 0, y: (g.chains * 110) / 2 } }];
  const edges: { id: string; source: string; target: string }[] = [];
  for (let c = 0; c < g.chains; c++) {
    for (let l = 0; l < levels; l++) {
      nodes.push({ id: id(c, l), type: 'delay', position: { x: 300 + l * 260, y: c * 110 }, config: { ms: delayMs } });
      edges.push(
        l === 0
          ? { id: `h${c}`, source: 'start', target: id(c, 0) }
          : { id: `e${c}_${l}`, source: id(c, l - 1), target: id(c, l) },
      );
    }
  }
  const candidates: [number, number][] = [];
  for (let l = 0; l < levels - 1; l++) for (let c = 0; c < g.chains - 1; c++) candidates.push([c, l]);
  const want = Math.max(0, Math.min(candidates.length, g.edges - edges.length));
  for (let k = 0; k < want; k++) {
    const [c, l] = candidates[Math.floor((k * candidates.length) / want)]!;
    edges.push({ id: `x${c}_${l}`, source: id(c, l), target: id(c + 1, l + 1) });
  }
  const graph = {
    format: 'statepipe.graph',
    version: 1,
    id: `bench-canvas-${g.nodes}`,
    concurrency: Math.min(256, g.chains + 8),
    nodes,
    edges,
  };
  return { graph, nodes: nodes.length, edges: edges.length };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A point near the middle of the canvas that hits the pane (not a node or an edge). */
async function panePoint(page: Page): Promise<{ x: number; y: number }> {
  const box = (await page.locator('.react-flow__pane').first().boundingBox())!;
  const found = await page.evaluate((b) => {
    const cx = b.x + b.width / 2;
    const cy = b.y + b.height / 2;
    for (let r = 0; r < Math.min(b.width, b.height) / 2; r += 7) {
      for (let a = 0; a < 16; a++) {
        const x = cx + r * Math.cos((a * Math.PI) / 8);
        const y = cy + r * Math.sin((a * Math.PI) / 8);
        const el = document.elementFromPoint(x, y);
        if (el && el.classList.contains('react-flow__pane')) return { x, y };
      }
    }
    return null;
  }, box);
  return found ?? { x: box.x + 20, y: box.y + 20 };
}

async function pan(page: Page, ms: number): Promise<FrameStats> {
  const p = await panePoint(page);
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  await startRecording(page);
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const ph = ((performance.now() - t0) / 1500) * 2 * Math.PI;
    await page.mouse.move(p.x + 300 * Math.sin(ph), p.y + 120 * Math.sin(2 * ph));
    await sleep(8);
  }
  const r = await stopRecording(page);
  await page.mouse.up();
  return r.frames;
}

async function zoom(page: Page, ms: number): Promise<FrameStats> {
  const p = await panePoint(page);
  await page.mouse.move(p.x, p.y);
  await startRecording(page);
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const inward = Math.floor((performance.now() - t0) / 700) % 2 === 0;
    await page.mouse.wheel(0, inward ? -60 : 60);
    await sleep(20);
  }
  const r = await stopRecording(page);
  return r.frames;
}

interface Live {
  frames: FrameStats;
  runs: number;
  stateEvents: number;
  statesPerSec: number;
  lastStatus: string;
  /** Run click until the second level of nodes runs (the run view built, the first wave shown). */
  startMs: number;
  startLongTaskMaxMs: number;
}

const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, x) => a + (x ?? 0), 0);

/**
 * Runs the graph from the editor's Run button (which opens the run view: its own canvas of the
 * run, followed live; back to the editor for the next run) until `ms` of steady state were
 * recorded: each run's start (building the run view of every node) is timed apart, and frames are recorded from
 * when the second level of nodes runs to the run's end, while `chains` nodes change state.
 * State events are counted over the whole run (click to end), as they arrive in the page.
 */
async function live(page: Page, ms: number): Promise<Live> {
  const run = page.locator('[data-testid="run"]');
  const status = page.locator('[data-testid="run-status"]');
  const deltas: number[] = [];
  const longtasks: number[] = [];
  const mains: NonNullable<FrameStats['main']>[] = [];
  const starts: number[] = [];
  let startLongTaskMaxMs = 0;
  let runs = 0;
  let stateEvents = 0;
  let stateMs = 0;
  let lastStatus = 'none';
  while (sum(deltas) < ms && runs < 20) {
    const back = page.locator('[data-testid="run-back"]');
    if (await back.isVisible()) await back.click();
    await page.waitForFunction(
      () => !(document.querySelector('[data-testid="run"]') as HTMLButtonElement | null)?.disabled,
      undefined,
      { timeout: 30_000 },
    );
    // The run view of the previous run is gone (back in the editor): no run id shows yet.
    const before = await page.evaluate(
      () => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-run-id') ?? null,
    );
    await startRecording(page);
    const t0 = performance.now();
    await run.click();
    runs++;
    await page.waitForFunction(
      () =>
        ['running', 'succeeded'].includes(
          document.querySelector('[data-testid="node-c0_1"]')?.getAttribute('data-status') ?? '',
        ),
      undefined,
      { timeout: 60_000, polling: 20 },
    );
    starts.push(performance.now() - t0);
    startLongTaskMaxMs = Math.max(startLongTaskMaxMs, (await stopRecording(page)).frames.longTaskMaxMs);
    await startRecording(page, false); // keep the run's state events since the click
    await page.waitForFunction(
      (prev) => {
        const s = document.querySelector('[data-testid="run-status"]');
        return (
          s?.getAttribute('data-run-id') !== prev &&
          ['succeeded', 'failed', 'cancelled'].includes(s?.getAttribute('data-status') ?? '')
        );
      },
      before,
      { timeout: 120_000, polling: 50 },
    );
    const r = await stopRecording(page);
    deltas.push(...r.deltas);
    longtasks.push(...r.longtasks);
    if (r.frames.main) mains.push(r.frames.main);
    stateEvents += sum(r.states.map(([, n]) => n));
    if (r.states.length > 1) stateMs += r.states[r.states.length - 1]![0] - r.states[0]![0];
    lastStatus = (await status.getAttribute('data-status')) ?? 'unknown';
    if (lastStatus !== 'succeeded') break;
  }
  const keys = ['taskMs', 'scriptMs', 'styleMs', 'layoutMs', 'otherMs', 'wallMs'] as const;
  const main = Object.fromEntries(keys.map((k) => [k, sum(mains.map((m) => m[k]))])) as unknown as NonNullable<
    FrameStats['main']
  >;
  return {
    frames: { ...frameStats(deltas, longtasks), main },
    runs,
    stateEvents,
    statesPerSec: stateMs > 0 ? (stateEvents * 1000) / stateMs : NaN,
    lastStatus,
    startMs: starts.length ? starts.reduce((a, b) => a + b, 0) / starts.length : NaN,
    startLongTaskMaxMs,
  };
}

async function oneGraph(page: Page, spec: CanvasSpec, g: CanvasGraphSpec): Promise<CanvasGraphResult> {
  const built = canvasGraph(g, spec.delayMs);
  const file = path.join(spec.dir, `canvas-${g.nodes}.json`);
  fs.writeFileSync(file, JSON.stringify(built.graph));
  await startRecording(page);
  const t0 = performance.now();
  await page.locator('[data-testid="import-graph"]').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length >= n, built.nodes, {
    timeout: 120_000,
    polling: 50,
  });
  const openMs = performance.now() - t0;
  await page.waitForTimeout(600); // the canvas fits the view after an import
  const open = (await stopRecording(page)).frames;
  const idle = await idleFrames(page, spec.idleMs);
  const panned = await pan(page, spec.panMs);
  const zoomed = await zoom(page, spec.zoomMs);
  await page.keyboard.press('Control+0').catch(() => undefined); // fit again
  await page.waitForTimeout(400);
  const l = await live(page, spec.liveMs);
  return {
    nodes: built.nodes,
    edges: built.edges,
    chains: g.chains,
    openMs,
    openLongTaskMaxMs: open.longTaskMaxMs,
    idle,
    pan: panned,
    zoom: zoomed,
    live: l.frames,
    liveRuns: l.runs,
    liveStatus: l.lastStatus,
    stateEvents: l.stateEvents,
    statesPerSec: l.statesPerSec,
    runStartMs: l.startMs,
    runStartLongTaskMaxMs: l.startLongTaskMaxMs,
  };
}

export async function canvasCase(spec: CanvasSpec): Promise<CanvasResult> {
  const s = await openStudio(spec.dir);
  try {
    const graphs: CanvasGraphResult[] = [];
    for (const g of spec.graphs) graphs.push(await oneGraph(s.page, spec, g));
    return { kind: 'canvas', delayMs: spec.delayMs, graphs };
  } finally {
    await s.close();
  }
}
