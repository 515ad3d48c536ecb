/**
 * Live runs in the one run view (Chromium against `statepipe serve`), driven by hand: node
 * states and streamed tokens with tokens counted live, approvals from the card and from the
 * side panel (1280×720, panels folded), a rejection told apart from a crash, a failed code node
 * shown by what it received and where it threw, retry and rerun, pause, resume and cancel.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cliEntry, startedRunId } from '../src/cli/cli-test-kit';
import { CODE_FAILS, example, harness, importFile, realErrors, shot, typeText, VIEWPORTS, sel } from './harness';

const h = harness();

/** A card of the run on screen. */
const card = (page: Page, id: string) => page.locator(`${sel('run-view')} ${sel(`node-${id}`)}`);
const statusOf = (page: Page, id: string) => card(page, id).getAttribute('data-status');
const runStatus = (page: Page, status: string, timeout = 15_000) =>
  page.locator(`${sel('run-status')}[data-status="${status}"]`).waitFor({ timeout });
const nodeStatus = (page: Page, id: string, status: string, timeout = 15_000) =>
  page.locator(`${sel('run-view')} ${sel(`node-${id}`)}[data-status="${status}"]`).waitFor({ timeout });
const inspect = async (page: Page, id: string) => {
  await card(page, id).locator('.sp-label').click();
  await page.locator(`${sel('inspector')}[data-node="${id}"]`).waitFor();
};

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

describe('live runs in the run view', () => {
  it('runs document-pipeline: the summary streams before it succeeds, and the header counts tokens while it does', async () => {
    const g = example('document-pipeline');
    const summary = g.nodes.find((n) => n.id === 'summary')!;
    (summary.config['mock'] as { tokensPerSecond: number }).tokensPerSecond = 10;
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('document-pipeline-slow', g));
    await page.click(sel('run'));
    await page.click(sel('run-submit'));
    expect(await page.locator(sel('run-input-error-text')).textContent()).toBe('required');
    await typeText(page, 'run-input-text', 'Alice runs ProjectX in Berlin and Alice is happy');
    await page.click(sel('run-submit'));
    await nodeStatus(page, 'summary', 'running');
    await expect
      .poll(
        async () => (await page.locator(sel('node-stream-summary')).textContent())?.replace('…', '').trim().length ?? 0,
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    expect(await statusOf(page, 'summary')).toBe('running');
    expect(await page.locator(`${sel('run-view')} .react-flow__edge.is-flowing`).count()).toBeGreaterThan(0);
    await shot(page, 'run-in-progress');
    await runStatus(page, 'succeeded', 20_000);
    for (const id of ['start', 'extract', 'sentiment', 'keywords', 'summary', 'aggregate', 'result'])
      expect(await statusOf(page, id)).toBe('succeeded');
    await inspect(page, 'summary');
    expect(await page.locator(sel('inspector-output')).textContent()).toContain('Alice leads ProjectX');
    expect(await page.locator(sel('inspector-attempts')).textContent()).toContain('succeeded');
    expect(realErrors(errors)).toEqual([]);
  });

  it('6: the header counts tokens and cost live while the only node streams', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('live-tokens', chain('live-tokens', 6)));
    await page.click(sel('run'));
    await nodeStatus(page, 'a', 'running');
    const tokens = () => page.locator(sel('run-meta')).getAttribute('data-tokens').then(Number);
    await expect.poll(tokens, { timeout: 10_000 }).toBeGreaterThan(0);
    const early = await tokens();
    expect(await statusOf(page, 'a')).toBe('running');
    await expect.poll(tokens, { timeout: 10_000 }).toBeGreaterThan(early);
    expect(await page.locator(sel('run-meta')).textContent()).toMatch(/^≈ \d+ tok · \$0\.0000$/);
    await page.click(sel('cancel'));
    await runStatus(page, 'cancelled');
    expect(realErrors(errors)).toEqual([]);
  });

  it('the Logs tab, open while the run goes on, grows with it to the run’s end', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('live-logs', chain('live-logs', 10)));
    await page.click(sel('run'));
    await nodeStatus(page, 'a', 'running');
    await page.click(sel('rd-tab-logs'));
    const lines = page.locator(sel('log-line'));
    await expect
      .poll(() => lines.allTextContents(), { timeout: 5_000 })
      .toContainEqual(expect.stringContaining('run started'));
    const early = await lines.count();
    // Not a tab switch away: the lines the run writes from here on show where they are.
    await runStatus(page, 'succeeded');
    await expect.poll(() => lines.count(), { timeout: 5_000 }).toBeGreaterThan(early);
    expect((await lines.allTextContents()).at(-1)).toContain('run succeeded');
    expect(realErrors(errors)).toEqual([]);
  });

  it('zoomed out, cards are boxes in their state color (edges one path) that follow the run; zoomed in, full cards again', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('lod-chain', chain('lod-chain', 6)));
    await page.click(sel('run'));
    await page.locator(`${sel('run-view')} ${sel('node-out')}`).waitFor();
    const zoom = (dir: 'in' | 'out') => page.click(`${sel('run-view')} .react-flow__controls-zoom${dir}`);
    for (let i = 0; i < 12 && (await page.locator(`${sel('run-view')} .sp-lod`).count()) === 0; i++) await zoom('out');
    await expect.poll(() => page.locator(`${sel('run-view')} .sp-node.sp-lod`).count()).toBe(4);
    expect(await card(page, 'a').locator('.sp-label').count()).toBe(0);
    expect((await page.locator(`${sel('run-view')} .sp-lod-edges path`).getAttribute('d'))?.match(/M/g)?.length).toBe(
      3,
    );
    await nodeStatus(page, 'a', 'running');
    expect(await page.locator(`${sel('run-view')} ${sel('node-a')}.sp-lod.status-running`).count()).toBe(1);
    await shot(page, 'canvas-zoomed-out-running');
    await runStatus(page, 'succeeded', 20_000);
    expect(await page.locator(`${sel('run-view')} .sp-lod.status-succeeded`).count()).toBe(4);
    for (let i = 0; i < 12 && (await page.locator(`${sel('run-view')} .sp-lod`).count()) > 0; i++) await zoom('in');
    await card(page, 'a').locator('.sp-label').waitFor();
    expect(await statusOf(page, 'a')).toBe('succeeded');
    expect(realErrors(errors)).toEqual([]);
  });

  it('runs vendor-onboarding: waits for the approval, approved from the card, succeeds', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('vendor', example('vendor-onboarding')));
    await page.click(sel('run'));
    await typeText(page, 'run-input-vendor', 'Acme');
    await typeText(page, 'run-input-country', 'DE');
    await page.click(sel('run-submit'));
    await runStatus(page, 'waiting');
    await nodeStatus(page, 'approval', 'waiting');
    // The card says what the person is asked, rendered: not the template.
    expect(await card(page, 'approval').textContent()).toContain('Approve high-risk vendor Acme?');
    expect(await card(page, 'approval').textContent()).not.toContain('{{');
    await shot(page, 'approval-waiting');
    await page.click(sel('approve-approval'));
    await page.keyboard.type('controls in place');
    await typeText(page, 'approval-data', '{"limit": 1000}');
    await page.click(sel('approval-submit'));
    await runStatus(page, 'succeeded');
    expect(await statusOf(page, 'approval')).toBe('succeeded');
    expect(await page.locator(sel('approve-approval')).count()).toBe(0);
    await inspect(page, 'approval');
    expect(await page.locator(sel('inspector-output')).textContent()).toContain('controls in place');
    expect(await page.locator(sel('inspector-decision')).textContent()).toContain('Approved');
    expect(realErrors(errors)).toEqual([]);
  });

  it('13: at 1280×720 the palette and the side panel fold away, and an approval is decided from the side panel', async () => {
    const { page, errors } = await h.page({ viewport: VIEWPORTS.small });
    await importFile(page, writeGraph('vendor-small', example('vendor-onboarding')));
    const canvas = () =>
      page
        .locator(`${sel('canvas')}`)
        .boundingBox()
        .then((b) => b!.width);
    const wide = await canvas();
    await page.click(sel('toggle-palette'));
    await page.click(`${sel('toolbar-editor')} ${sel('toggle-side-panel')}`);
    await expect.poll(canvas).toBeGreaterThan(wide + 400);
    await shot(page, 'editor-panels-folded');
    await page.click(sel('toggle-palette'));
    await page.click(`${sel('toolbar-editor')} ${sel('toggle-side-panel')}`);
    await page.click(sel('run'));
    await typeText(page, 'run-input-vendor', 'Acme');
    await page.click(sel('run-submit'));
    await runStatus(page, 'waiting');
    await inspect(page, 'approval');
    // Its attempt waits for a person with it (it is not running).
    const attempt = await page
      .locator(`${sel('inspector-attempts')} tbody tr`)
      .first()
      .textContent();
    expect(attempt).toContain('waiting');
    expect(attempt).not.toContain('running');
    const button = await page.locator(sel('inspector-approve')).boundingBox();
    expect(button!.width).toBeGreaterThanOrEqual(60);
    expect(button!.height).toBeGreaterThanOrEqual(24);
    await shot(page, 'approve-from-side-panel');
    await page.click(sel('inspector-approve'));
    expect(await page.locator(sel('approval-fails-run')).count()).toBe(0); // approving fails nothing
    await page.keyboard.type('ok from the panel');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab'); // past the data field and Cancel, to Approve
    await page.keyboard.press('Enter');
    await runStatus(page, 'succeeded');
    expect(await page.locator(sel('inspector-decision')).textContent()).toContain('Approved');
    expect(realErrors(errors)).toEqual([]);
  });

  it('10: a rejected approval with no false edge reads "Rejected by NAME: comment", not a crash', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('vendor-reject', example('vendor-onboarding')));
    await page.click(sel('run'));
    await typeText(page, 'run-input-vendor', 'Shady Ltd');
    await page.click(sel('run-submit'));
    await runStatus(page, 'waiting');
    await page.click(sel('reject-approval'));
    // No "no" branch leaves this gate: the dialog says what a rejection does before it is sent.
    expect(await page.locator(sel('approval-fails-run')).textContent()).toContain('rejecting fails it');
    expect(await page.locator(sel('approval-submit')).textContent()).toBe('Reject and fail the run');
    await page.keyboard.type('too risky');
    await page.keyboard.press('Enter'); // a new line in the comment, not a decision
    expect(await page.locator(sel('approval-dialog')).count()).toBe(1);
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Control+Enter'); // decides, from the keyboard
    await runStatus(page, 'failed');
    const notice = page.locator(sel('run-rejected'));
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/^Rejected by .+: too risky/);
    await inspect(page, 'approval');
    expect(await page.locator(sel('inspector-decision')).textContent()).toMatch(/Rejected by .+: too risky/);
    expect(await page.locator(`${sel('inspector')} ${sel('inspector-error')}`).count()).toBe(0);
    await shot(page, 'rejected-run');
    expect(realErrors(errors)).toEqual([]);
  });

  it('11: a failed code node shows the data it received, the line of the code that threw, and its kind once', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('code-fails', CODE_FAILS));
    await page.click(sel('run'));
    await runStatus(page, 'failed');
    await inspect(page, 'calc');
    const input = await page.locator(sel('inspector-input')).textContent();
    expect(input).toContain('prep');
    expect(input).toContain('41');
    expect(input).not.toContain('throw');
    const error = page.locator(sel('inspector-error'));
    expect(await error.locator('.insp-error-msg').textContent()).toBe('code kaboom: 41 (line 2 of the code)');
    await error.locator('.trace-stack summary').click();
    const stack = await page.locator(sel('inspector-stack')).textContent();
    expect(stack).toMatch(/^Error: kaboom: 41\n {4}at line 2, column \d+ of calc's code/);
    expect(stack).not.toMatch(/\.ts:|\.js:|node_modules/);
    // A retry will not help by itself: Retry is offered, not put forward.
    expect(await error.textContent()).toContain('a retry will not help by itself');
    expect(await page.locator(sel('inspector-retry')).getAttribute('class')).not.toContain('btn-primary');
    await shot(page, 'code-failure-inspector');
    expect(realErrors(errors)).toEqual([]);
  });

  it('shows a failed http node; retry after the fix does not re-run upstream; rerun from it reuses what is below', async () => {
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
      await inspect(page, 'flaky');
      const error = page.locator(sel('inspector-error'));
      expect(await error.textContent()).toContain('http-status');
      expect(await error.textContent()).toContain('500');
      expect(await page.locator(sel('inspector')).textContent()).toContain('database down');
      // A 500 may pass: Retry is the button put forward.
      expect(await page.locator(sel('inspector-retry')).getAttribute('class')).toContain('btn-primary');
      await shot(page, 'failed-node-inspector');
      broken = false;
      await page.click(sel('inspector-retry'));
      await runStatus(page, 'succeeded');
      expect(await statusOf(page, 'flaky')).toBe('succeeded');
      expect(await statusOf(page, 'out')).toBe('succeeded');
      expect(upstreamHits).toBe(1);
      const attempts = async (id: string) => {
        await inspect(page, id);
        return page.locator(`${sel('inspector-attempts')} tbody tr`).count();
      };
      expect([await attempts('up'), await attempts('flaky'), await attempts('out')]).toEqual([1, 2, 1]);
      // Rerun from the fixed node, keeping the recorded output of the node below it.
      const first = await page.locator(sel('run-status')).getAttribute('data-run-id');
      await inspect(page, 'flaky');
      await page.click(sel('inspector-rerun'));
      await page.check(sel('rerun-reuse-out'));
      await page.click(sel('rerun-submit'));
      await page
        .locator(`${sel('run-status')}[data-status="succeeded"]:not([data-run-id="${first}"])`)
        .waitFor({ timeout: 10_000 });
      expect(await attempts('flaky')).toBe(1);
      for (const id of ['start', 'up', 'out']) {
        await inspect(page, id);
        expect(await page.locator(sel('inspector-status')).getAttribute('data-status')).toBe('succeeded');
        expect(await page.locator(sel('inspector-attempts')).count()).toBe(0); // reused, not run again
      }
      expect(upstreamHits).toBe(1);
      expect(realErrors(errors)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('a run paused by its budget says so; Resume asks for a higher budget (typed) and the run goes on to its end', async () => {
    const { page, errors } = await h.page();
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'budgeted',
      budget: { maxTokens: 10 },
      nodes: [
        { id: 'start', type: 'input', position: { x: 0, y: 100 } },
        llm('draft', 'A short draft about durable workflows for busy people', 500, 240),
        llm('polish', 'A polished draft', 500, 480),
        { id: 'out', type: 'output', position: { x: 720, y: 100 }, config: { value: '{{nodes.polish.output.text}}' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'draft' },
        { id: 'e2', source: 'draft', target: 'polish' },
        { id: 'e3', source: 'polish', target: 'out' },
      ],
    };
    await importFile(page, writeGraph('budgeted', graph));
    await page.click(sel('run'));
    await runStatus(page, 'paused');
    const status = page.locator(sel('run-status'));
    expect(await status.getAttribute('data-reason')).toBe('budget');
    expect(await status.textContent()).toContain('budget spent');
    expect(await statusOf(page, 'polish')).toBe('queued');
    await page.click(sel('rd-tab-logs'));
    await expect
      .poll(() => page.locator(sel('log-line')).allTextContents())
      .toContainEqual(expect.stringContaining('of a budget of max 10 tokens'));

    await page.click(sel('resume'));
    const tokens = page.locator(sel('budget-max-tokens'));
    await tokens.waitFor();
    expect(await tokens.inputValue()).toBe('20'); // twice the limit reached, offered
    await shot(page, 'budget-dialog');
    await tokens.press('Control+a');
    await page.keyboard.type('1000');
    await page.keyboard.press('Enter');
    await runStatus(page, 'succeeded');
    expect(await page.locator(sel('budget-dialog')).count()).toBe(0);
    expect(await status.getAttribute('data-reason')).toBeNull();
    expect(realErrors(errors)).toEqual([]);
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

    await page.click(sel('run-back'));
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

  it('a node left in doubt by a killed process: Retry asks before sending its request again', async () => {
    // A POST whose first answer comes late: the CLI that sent it is killed meanwhile.
    let posts = 0;
    const target = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        posts++;
        setTimeout(
          () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
          posts === 1 ? 5000 : 0,
        );
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/charge`;
    try {
      const graph = {
        format: 'statepipe.graph',
        version: 1,
        id: 'charge-once',
        nodes: [
          { id: 'start', type: 'input', position: { x: 0, y: 100 } },
          {
            id: 'pay',
            type: 'http',
            position: { x: 240, y: 100 },
            config: { method: 'POST', url, body: { cents: 500 } },
          },
          { id: 'out', type: 'output', position: { x: 480, y: 100 }, config: { value: '{{nodes.pay.output.status}}' } },
        ],
        edges: [
          { id: 'e1', source: 'start', target: 'pay' },
          { id: 'e2', source: 'pay', target: 'out' },
        ],
      };
      const file = writeGraph('charge-once', graph);
      const child = spawn(process.execPath, [...cliEntry(), 'run', file, '--db', join(h.dir, 'studio.db')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      await expect.poll(() => posts, { timeout: 20_000 }).toBe(1);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const runId = startedRunId(out);

      // A person finds it interrupted on the dashboard, opens it and resumes it: the POST is in doubt.
      const { page, errors } = await h.page();
      await page.click(sel('tab-runs'));
      const row = page.locator(sel(`run-row-${runId}`));
      await row.waitFor();
      await row.click();
      await runStatus(page, 'interrupted');
      await page.click(sel('resume'));
      await nodeStatus(page, 'pay', 'in-doubt');
      await inspect(page, 'pay');
      await page.click(sel('inspector-retry'));
      await page.locator(sel('retry-confirm')).waitFor();
      await shot(page, 'in-doubt-retry-confirm');
      expect(posts).toBe(1); // asked, not sent
      await page.click(sel('retry-confirm-cancel'));
      expect(await statusOf(page, 'pay')).toBe('in-doubt');
      await page.click(sel('inspector-retry'));
      await page.click(sel('retry-confirm-send'));
      await runStatus(page, 'succeeded');
      expect(posts).toBe(2);
      expect(realErrors(errors)).toEqual([]);
    } finally {
      await new Promise<void>((r) => target.close(() => r()));
    }
  }, 90_000);
});
