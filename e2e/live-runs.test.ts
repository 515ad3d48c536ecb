/**
 * Live runs in the studio (Chromium against `statepipe serve`): node states and streamed
 * tokens, approvals from the canvas, the inspector of a failed node and its retry, pause,
 * resume and cancel, and a run started by the CLI on the same database followed live.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../src/cli/cli-test-kit';
import { ARTIFACTS, example, importFile, realErrors, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const sel = (id: string) => `[data-testid="${id}"]`;
const statusOf = (page: Page, id: string) => page.locator(sel(`node-${id}`)).getAttribute('data-status');
const runStatus = (page: Page, status: string, timeout = 15_000) =>
  page.locator(`${sel('run-status')}[data-status="${status}"]`).waitFor({ timeout });
const nodeStatus = (page: Page, id: string, status: string, timeout = 15_000) =>
  page.locator(`${sel(`node-${id}`)}[data-status="${status}"]`).waitFor({ timeout });

function writeGraph(name: string, graph: unknown): string {
  const path = join(h.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(graph, null, 2));
  return path;
}

const llm = (id: string, reply: string, tps: number, x: number) => ({
  id,
  type: 'llm',
  position: { x, y: 100 },
  config: { provider: 'mock', model: 'mock-1', prompt: `say ${id}`, mock: { reply, tokensPerSecond: tps } },
});
/** start → a (a slow stream) → b → out: no input fields, so Run starts at once. */
function chain(id: string, tps: number) {
  return {
    format: 'statepipe.graph',
    version: 1,
    id,
    nodes: [
      { id: 'start', type: 'input', position: { x: 0, y: 100 } },
      llm('a', 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen', tps, 240),
      llm('b', 'done', 200, 480),
      { id: 'out', type: 'output', position: { x: 720, y: 100 }, config: { value: '{{nodes.b.output.text}}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'a' },
      { id: 'e2', source: 'a', target: 'b' },
      { id: 'e3', source: 'b', target: 'out' },
    ],
  };
}

describe('studio live runs', () => {
  it('runs document-pipeline: every node succeeds, the summary streams before it succeeds', async () => {
    const g = example('document-pipeline');
    const summary = g.nodes.find((n) => n.id === 'summary')!;
    (summary.config['mock'] as { tokensPerSecond: number }).tokensPerSecond = 10;
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('document-pipeline-slow', g));
    await page.click(sel('run'));
    await page.click(sel('run-submit'));
    expect(await page.locator(sel('run-input-error-text')).textContent()).toBe('required');
    await page.fill(sel('run-input-text'), 'Alice runs ProjectX in Berlin and Alice is happy');
    await page.click(sel('run-submit'));
    await nodeStatus(page, 'summary', 'running');
    // Streamed text shows while the node is still running.
    await expect
      .poll(
        async () => (await page.locator(sel('node-stream-summary')).textContent())?.replace('…', '').trim().length ?? 0,
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    expect(await statusOf(page, 'summary')).toBe('running');
    expect(await page.locator('.react-flow__edge.is-flowing').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'run-in-progress.png') });
    await runStatus(page, 'succeeded', 20_000);
    for (const id of ['start', 'extract', 'sentiment', 'keywords', 'summary', 'aggregate', 'result'])
      expect(await statusOf(page, id)).toBe('succeeded');
    expect(await page.locator(sel('node-stream-summary')).textContent()).toContain('Berlin office');
    await page.click(`${sel('node-summary')} .sp-label`);
    await page.locator(sel('inspector')).waitFor();
    expect(await page.locator(sel('inspector-output')).textContent()).toContain('Alice leads ProjectX');
    expect(await page.locator(sel('inspector-attempts')).textContent()).toContain('succeeded');
    expect(realErrors(errors)).toEqual([]);
  });

  it('zoomed out, nodes are boxes in their state color (edges one path) that follow the run; zoomed in, full nodes again', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('lod-chain', chain('lod-chain', 6)));
    await page.locator(sel('node-out')).waitFor();
    expect(await page.locator('.sp-lod').count()).toBe(0);
    for (let i = 0; i < 12 && (await page.locator('.sp-lod').count()) === 0; i++)
      await page.click('.react-flow__controls-zoomout');
    await expect.poll(() => page.locator('.sp-node.sp-lod').count()).toBe(4);
    expect(await page.locator(`${sel('node-a')} .sp-label`).count()).toBe(0);
    expect((await page.locator('.sp-lod-edges path').getAttribute('d'))?.match(/M/g)?.length).toBe(3);
    await page.click(sel('run'));
    await nodeStatus(page, 'a', 'running');
    expect(await page.locator(`${sel('node-a')}.sp-lod.status-running`).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'canvas-zoomed-out-running.png') });
    await runStatus(page, 'succeeded', 20_000);
    expect(await page.locator('.sp-lod.status-succeeded').count()).toBe(4);
    for (let i = 0; i < 12 && (await page.locator('.sp-lod').count()) > 0; i++)
      await page.click('.react-flow__controls-zoomin');
    await page.locator(`${sel('node-a')} .sp-label`).waitFor();
    expect(await statusOf(page, 'a')).toBe('succeeded');
    expect(realErrors(errors)).toEqual([]);
  });

  it('runs vendor-onboarding: waits for the approval, approved from the canvas, succeeds', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('vendor', example('vendor-onboarding')));
    await page.click(sel('run'));
    await page.fill(sel('run-input-vendor'), 'Acme');
    await page.fill(sel('run-input-country'), 'DE');
    await page.click(sel('run-submit'));
    await runStatus(page, 'waiting');
    await nodeStatus(page, 'approval', 'waiting');
    await page.locator(sel('approve-approval')).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'approval-waiting.png') });
    await page.click(sel('approve-approval'));
    await page.fill(sel('approval-comment'), 'controls in place');
    await page.fill(sel('approval-data'), '{"limit": 1000}');
    await page.click(sel('approval-submit'));
    await runStatus(page, 'succeeded');
    expect(await statusOf(page, 'approval')).toBe('succeeded');
    expect(await page.locator(sel('approve-approval')).count()).toBe(0);
    await page.click(`${sel('node-approval')} .sp-label`);
    expect(await page.locator(sel('inspector-output')).textContent()).toContain('controls in place');
    expect(realErrors(errors)).toEqual([]);
  });

  it('shows a failed http node in the inspector; retry after the fix succeeds without re-running upstream', async () => {
    let broken = true;
    let upstreamHits = 0;
    const server: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/count') {
        upstreamHits++;
        res.end(JSON.stringify({ n: upstreamHits }));
      } else if (broken) {
        res.statusCode = 500;
        res.end('{"error":"database down"}');
      } else res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const graph = {
        format: 'statepipe.graph',
        version: 1,
        id: 'flaky-http',
        nodes: [
          { id: 'start', type: 'input', position: { x: 0, y: 100 } },
          { id: 'up', type: 'http', position: { x: 240, y: 100 }, config: { method: 'GET', url: `${base}/count` } },
          { id: 'flaky', type: 'http', position: { x: 480, y: 100 }, config: { method: 'GET', url: `${base}/flaky` } },
          { id: 'out', type: 'output', position: { x: 720, y: 100 }, config: { value: '{{nodes.flaky.output.body}}' } },
        ],
        edges: [
          { id: 'e1', source: 'start', target: 'up' },
          { id: 'e2', source: 'up', target: 'flaky' },
          { id: 'e3', source: 'flaky', target: 'out' },
        ],
      };
      const { page, errors } = await h.page();
      await importFile(page, writeGraph('flaky-http', graph));
      await page.click(sel('run'));
      await runStatus(page, 'failed');
      expect(await statusOf(page, 'flaky')).toBe('failed');
      expect(await statusOf(page, 'out')).toBe('skipped');
      await page.click(`${sel('node-flaky')} .sp-label`);
      const error = page.locator(sel('inspector-error'));
      await error.waitFor();
      expect(await error.textContent()).toContain('http-status');
      expect(await error.textContent()).toContain('500');
      expect(await page.locator(sel('inspector')).textContent()).toContain('database down');
      await page.screenshot({ path: join(ARTIFACTS, 'failed-node-inspector.png') });
      broken = false;
      await page.click(sel('inspector-retry'));
      await runStatus(page, 'succeeded');
      expect(await statusOf(page, 'flaky')).toBe('succeeded');
      expect(await statusOf(page, 'out')).toBe('succeeded');
      expect(upstreamHits).toBe(1);
      const starts = await page.evaluate(async () => {
        const view = (
          window as unknown as { __statepipe: { run(): { nodes: Record<string, { attempts: unknown[] }> } } }
        ).__statepipe.run();
        return Object.fromEntries(Object.entries(view.nodes).map(([id, n]) => [id, n.attempts.length]));
      });
      expect(starts).toEqual({ start: 1, up: 1, flaky: 2, out: 1 });
      // Rerun from the fixed node, keeping the recorded output of the node below it.
      const first = await page.locator(sel('run-status')).getAttribute('data-run-id');
      await page.click(sel('inspector-rerun'));
      await page.check(sel('rerun-reuse-out'));
      await page.click(sel('rerun-submit'));
      await page
        .locator(`${sel('run-status')}[data-status="succeeded"]:not([data-run-id="${first}"])`)
        .waitFor({ timeout: 10_000 });
      const again = await page.evaluate(() => {
        const view = (
          window as unknown as {
            __statepipe: { run(): { nodes: Record<string, { status: string; attempts: unknown[] }> } };
          }
        ).__statepipe.run();
        return Object.fromEntries(
          Object.entries(view.nodes).map(([id, n]) => [id, `${n.status}/${n.attempts.length}`]),
        );
      });
      expect(again).toEqual({ start: 'succeeded/0', up: 'succeeded/0', flaky: 'succeeded/1', out: 'succeeded/0' });
      expect(upstreamHits).toBe(1);
      expect(realErrors(errors)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('pauses while a node runs (nothing new starts), resumes to the end; cancel aborts a streaming node', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('chain', chain('chain', 12)));
    await page.click(sel('run'));
    await nodeStatus(page, 'a', 'running');
    await page.click(sel('pause'));
    await runStatus(page, 'paused');
    await nodeStatus(page, 'a', 'succeeded', 10_000);
    await page.waitForTimeout(400);
    expect(['idle', 'queued']).toContain(await statusOf(page, 'b')); // queued at most: nothing starts while paused
    expect(await page.locator(sel('resume')).isEnabled()).toBe(true);
    await page.click(sel('resume'));
    await runStatus(page, 'succeeded');
    expect(await statusOf(page, 'b')).toBe('succeeded');

    await page.click(sel('run'));
    await nodeStatus(page, 'a', 'running');
    await expect
      .poll(async () => (await page.locator(sel('node-stream-a')).textContent())?.includes('two') ?? false, {
        timeout: 5_000,
      })
      .toBe(true);
    await page.click(sel('cancel'));
    await runStatus(page, 'cancelled');
    expect(await statusOf(page, 'a')).toBe('cancelled');
    expect(await statusOf(page, 'b')).toBe('cancelled');
    expect(await page.locator(sel('cancel')).isDisabled()).toBe(true);
    expect(realErrors(errors)).toEqual([]);
  });

  it('a run started by the CLI on the served database appears in Runs and is followed live on the canvas', async () => {
    const graphFile = writeGraph('cli-chain', chain('cli-chain', 5));
    const { page, errors } = await h.page();
    await page.click(sel('tab-runs'));
    const child = spawn(
      process.execPath,
      [...(await cliEntry()), 'run', graphFile, '--db', join(h.dir, 'studio.db'), '--no-color'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      await expect.poll(() => /id=(run_[0-9A-Z]{26})/.exec(out)?.[1], { timeout: 15_000 }).toBeTruthy();
      const runId = /id=(run_[0-9A-Z]{26})/.exec(out)![1]!;
      const row = page.locator(sel(`run-row-${runId}`));
      await row.waitFor({ timeout: 10_000 });
      await page.evaluate((id) => (location.hash = `#run=${id}`), runId);
      await page.locator(sel('run-mode-banner')).waitFor();
      await page.locator(`${sel('run-status')}[data-run-id="${runId}"]`).waitFor();
      // Still going when it was opened: the canvas follows it to the end.
      await nodeStatus(page, 'a', 'running', 10_000);
      expect(await page.locator(sel('node-a')).getAttribute('data-status')).toBe('running');
      await runStatus(page, 'succeeded', 20_000);
      expect(await statusOf(page, 'b')).toBe('succeeded');
      expect(await exited).toBe(0);
      await page.click(sel('leave-run-mode'));
      await page.click(sel('tab-runs'));
      await expect.poll(() => row.textContent(), { timeout: 5_000 }).toContain('succeeded');
      expect(realErrors(errors)).toEqual([]);
    } finally {
      child.kill();
    }
  });
});
