/**
 * The studio in headless Chromium for the browser cases: a `startServer` instance on a scratch
 * database, playwright-core on /usr/bin/chromium (the e2e flags), and an init script that meters
 * the page: requestAnimationFrame deltas, long tasks (> 50 ms) and the `node.tokens` / node state
 * events arriving over the WebSocket. Also builds the renderer when out/renderer is missing or stale.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { percentile } from './stats.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const FRAME_BUDGET_MS = 1000 / 60;

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (!e.name.endsWith('.test.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds the renderer (`electron-vite build`, the renderer part of `npm run build`) when
 * out/renderer/index.html is missing or older than the renderer, contract or core sources.
 * Returns what it did ('fresh' | 'built' | an error message); never throws.
 */
export function ensureRenderer(log: (s: string) => void): string {
  const built = path.join(ROOT, 'out/renderer/index.html');
  try {
    const sources = Math.max(...['src/renderer', 'src/contract', 'src/core'].map((d) => newest(path.join(ROOT, d))));
    if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return 'fresh';
    log('  building the renderer (electron-vite build)…');
    const t0 = performance.now();
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    return `built in ${((performance.now() - t0) / 1000).toFixed(0)} s`;
  } catch (err) {
    return `build failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

export interface Studio {
  server: RunningServer;
  browser: Browser;
  page: Page;
  /** One API call (POST /api/call, the same dispatch as the page's WebSocket). */
  call<T>(method: string, input: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Page-side meters, installed before any script of the page runs. */
const METER = `(() => {
  const b = { frames: [], longtasks: [], tok: [], states: [], bytes: 0, recording: false };
  window.__bench = b;
  let last = 0;
  const loop = (t) => { if (b.recording && last) b.frames.push(t - last); last = t; requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  try {
    new PerformanceObserver((list) => { if (b.recording) for (const e of list.getEntries()) b.longtasks.push(e.duration); }).observe({ type: 'longtask' });
  } catch {}
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (m) => {
        if (typeof m.data !== 'string' || !m.data.startsWith('{"kind":"events"')) return;
        const t = performance.now();
        b.bytes += m.data.length;
        const msg = JSON.parse(m.data);
        let states = 0;
        for (const e of msg.events) {
          if (e.type === 'node.tokens') b.tok.push([t, e.nodeId, (e.data.text.match(/\\S+/g) || []).length, e.data.text.length]);
          else if (e.type === 'node.started' || e.type === 'node.succeeded' || e.type === 'node.failed' || e.type === 'node.skipped') states++;
        }
        if (states) b.states.push([t, states]);
      });
    }
  };
})();`;

export async function openStudio(dir: string): Promise<Studio> {
  const server = await startServer({ dbPath: path.join(dir, 'studio.db'), port: 0, version: '0.1.0-bench' });
  const browser = await chromium.launch({
    executablePath: process.env['STATEPIPE_CHROMIUM'] ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  await context.addInitScript({ content: METER });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept()); // "discard unsaved changes?" on a second import
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  sessions.set(page, cdp);
  await page.goto(server.url);
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 30_000 });
  const origin = new URL(server.url).origin;
  return {
    server,
    browser,
    page,
    async call<T>(method: string, input: unknown): Promise<T> {
      const res = await fetch(`${origin}/api/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ method, input }),
      });
      const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
      if (!body.ok) throw new Error(`${method}: ${body.error?.message ?? res.status}`);
      return body.value as T;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close().catch(() => undefined);
    },
  };
}

const sessions = new WeakMap<Page, CDPSession>();
const marks = new WeakMap<Page, Record<string, number>>();

/** Main-thread time of the page's renderer over a recording (Chrome's Performance domain), in ms. */
export interface MainThread {
  /** All main-thread tasks. */
  taskMs: number;
  scriptMs: number;
  styleMs: number;
  layoutMs: number;
  /** The rest of the tasks: mostly paint, raster scheduling, event dispatch, GC outside script. */
  otherMs: number;
  wallMs: number;
}

async function metrics(page: Page): Promise<Record<string, number>> {
  const cdp = sessions.get(page);
  if (!cdp) return {};
  const { metrics: ms } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(ms.map((m) => [m.name, m.value]));
}

function mainThread(a: Record<string, number>, b: Record<string, number>, wallMs: number): MainThread {
  const d = (k: string) => ((b[k] ?? 0) - (a[k] ?? 0)) * 1000;
  const taskMs = d('TaskDuration');
  const scriptMs = d('ScriptDuration');
  const styleMs = d('RecalcStyleDuration');
  const layoutMs = d('LayoutDuration');
  return { taskMs, scriptMs, styleMs, layoutMs, otherMs: Math.max(0, taskMs - scriptMs - styleMs - layoutMs), wallMs };
}

export interface FrameStats {
  frames: number;
  seconds: number;
  fps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Share of frames longer than 1.5 × 16.7 ms (at least one vsync missed). */
  droppedPct: number;
  longTasks: number;
  longTaskMaxMs: number;
  main?: MainThread;
}

/** A `node.tokens` event as it arrived: [page clock ms, node id, tokens, chars]. */
export type TokenArrival = [number, string, number, number];

export interface Recording {
  frames: FrameStats;
  /** The raw frame deltas and long task durations (to merge recordings). */
  deltas: number[];
  longtasks: number[];
  tokens: TokenArrival[];
  /** [page clock ms, node state events (started/succeeded/failed/skipped) in one message]. */
  states: [number, number][];
  /** Bytes of event messages received. */
  bytes: number;
}

interface Meter {
  frames: number[];
  longtasks: number[];
  tok: TokenArrival[];
  states: [number, number][];
  bytes: number;
  recording: boolean;
}

/** Starts recording frames and long tasks; `messages`: also forget the event messages received so far. */
export async function startRecording(page: Page, messages = true): Promise<void> {
  await page.evaluate((resetMessages) => {
    const b = (window as unknown as { __bench: Meter }).__bench;
    b.frames = [];
    b.longtasks = [];
    if (resetMessages) {
      b.tok = [];
      b.states = [];
      b.bytes = 0;
    }
    b.recording = true;
  }, messages);
  const m = await metrics(page);
  marks.set(page, { ...m, wallStart: performance.now() });
}

/** Forgets the event messages received so far (they are recorded whether or not frames are). */
export async function resetMessages(page: Page): Promise<void> {
  await page.evaluate(() => {
    const b = (window as unknown as { __bench: Meter }).__bench;
    b.tok = [];
    b.states = [];
    b.bytes = 0;
  });
}

export async function stopRecording(page: Page): Promise<Recording> {
  const raw = await page.evaluate(() => {
    const b = (window as unknown as { __bench: Meter }).__bench;
    b.recording = false;
    return { frames: b.frames, longtasks: b.longtasks, tok: b.tok, states: b.states, bytes: b.bytes };
  });
  const a = marks.get(page) ?? {};
  const main = mainThread(a, await metrics(page), performance.now() - (a['wallStart'] ?? performance.now()));
  return {
    frames: { ...frameStats(raw.frames, raw.longtasks), main },
    deltas: raw.frames,
    longtasks: raw.longtasks,
    tokens: raw.tok,
    states: raw.states,
    bytes: raw.bytes,
  };
}

export function frameStats(deltas: readonly number[], longtasks: readonly number[]): FrameStats {
  const s = [...deltas].sort((a, b) => a - b);
  const total = s.reduce((a, b) => a + b, 0);
  return {
    frames: s.length,
    seconds: total / 1000,
    fps: total > 0 ? (s.length * 1000) / total : NaN,
    p50Ms: percentile(s, 50),
    p95Ms: percentile(s, 95),
    p99Ms: percentile(s, 99),
    maxMs: s.length ? s[s.length - 1]! : NaN,
    droppedPct: s.length ? (100 * s.filter((d) => d > 1.5 * FRAME_BUDGET_MS).length) / s.length : NaN,
    longTasks: longtasks.length,
    longTaskMaxMs: longtasks.length ? Math.max(...longtasks) : 0,
  };
}

/** Records frames for `ms` with nothing driven: the page's floor on this machine. */
export async function idleFrames(page: Page, ms: number): Promise<FrameStats> {
  await startRecording(page);
  await page.waitForTimeout(ms);
  return (await stopRecording(page)).frames;
}

/**
 * Rate of a series of timed amounts over its own span: the amount after the first arrival
 * divided by the time from the first to the last arrival (the first arrival carries what
 * accumulated before the clock started, so it is left out of the numerator).
 */
export function rateOf(series: readonly { t: number; n: number }[]): { total: number; perSec: number; spanMs: number } {
  const xs = series.filter((x) => x.n > 0).sort((a, b) => a.t - b.t);
  const total = xs.reduce((a, x) => a + x.n, 0);
  if (xs.length < 2) return { total, perSec: NaN, spanMs: 0 };
  const spanMs = xs[xs.length - 1]!.t - xs[0]!.t;
  return { total, perSec: spanMs > 0 ? ((total - xs[0]!.n) * 1000) / spanMs : NaN, spanMs };
}
