/**
 * Composition in the studio, by hand (Chromium against `statepipe serve`): a map's progress on
 * its card while it runs (`k / 12 items`), a loop's (`iteration 3`) and a subgraph's (its
 * child's status); the map's items in its inspector, filtered by status and by text; a row
 * opens that child run, a breadcrumb leads back; a double-click on the loop's card opens its
 * latest iteration; the dashboard lists the top-level run with its children's counts; and
 * "Create subgraph from selection" from the canvas's context menu, undone in one step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations, clickNode, harness, importFile, realErrors, shot, typeText, VIEWPORTS, sel } from './harness';

const h = harness();

const card = (page: Page, id: string) => page.locator(`${sel('run-view')} ${sel(`node-${id}`)}`);
const runStatus = (page: Page, status: string, timeout = 30_000) =>
  page.locator(`${sel('run-status')}[data-status="${status}"]`).waitFor({ timeout });

const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

/** The child of the map: a code node that fails on items 4 and 9, then a slow mock model. */
const perItem = {
  format: 'statepipe.graph',
  version: 1,
  id: 'per-item',
  name: 'Per item',
  nodes: [
    { id: 'in', type: 'input', position: { x: 0, y: 0 }, config: {} },
    {
      id: 'check',
      type: 'code',
      position: { x: 260, y: 0 },
      retry: { maxAttempts: 1 },
      config: { code: "if (input.item % 5 === 4) throw new Error('bad item ' + input.item); return input.item;" },
    },
    {
      id: 'say',
      type: 'llm',
      position: { x: 520, y: 0 },
      config: {
        provider: 'mock',
        model: 'mock-1',
        prompt: 'item {{nodes.check.output}}',
        mock: { reply: 'a short summary of this item', tokensPerSecond: 12 },
      },
    },
    { id: 'r', type: 'output', position: { x: 780, y: 0 }, config: { value: '{{nodes.say.output.text}}' } },
  ],
  edges: [e('in', 'check'), e('check', 'say'), e('say', 'r')],
};

/** The child of the loop and the subgraph: counts up, done at 3. */
const countUp = {
  format: 'statepipe.graph',
  version: 1,
  id: 'count-up',
  name: 'Count up',
  nodes: [
    { id: 'in', type: 'input', position: { x: 0, y: 0 }, config: {} },
    {
      id: 'step',
      type: 'transform',
      position: { x: 260, y: 0 },
      config: { template: { n: '{{input.n + 1}}', done: '{{input.n + 1 >= 3}}' } },
    },
    { id: 'r', type: 'output', position: { x: 520, y: 0 }, config: { value: '{{nodes.step.output}}' } },
  ],
  edges: [e('in', 'step'), e('step', 'r')],
};

const parent = {
  format: 'statepipe.graph',
  version: 1,
  id: 'batch',
  name: 'Batch',
  graphs: { 'per-item': perItem, 'count-up': countUp },
  nodes: [
    { id: 'in', type: 'input', position: { x: 0, y: 120 }, config: {} },
    {
      id: 'each',
      type: 'map',
      position: { x: 300, y: 0 },
      config: { graph: 'per-item', items: '{{[0..11]}}', concurrency: 2, onItemError: 'continue' },
    },
    {
      id: 'polish',
      type: 'loop',
      position: { x: 300, y: 240 },
      config: {
        graph: 'count-up',
        input: { n: 0 },
        next: { n: '{{previous.r.n}}' },
        until: 'previous.r.done',
        maxIterations: 5,
      },
    },
    { id: 'once', type: 'subgraph', position: { x: 300, y: 420 }, config: { graph: 'count-up', input: { n: 1 } } },
    {
      id: 'out',
      type: 'output',
      position: { x: 640, y: 200 },
      config: { value: '{{ { "ok": nodes.each.output.succeeded, "n": nodes.polish.output.result.r.n } }}' },
    },
  ],
  edges: [e('in', 'each'), e('in', 'polish'), e('in', 'once'), e('each', 'out'), e('polish', 'out'), e('once', 'out')],
};

function writeGraph(name: string, graph: unknown): string {
  const path = join(h.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(graph, null, 2));
  return path;
}

/** Both screen sizes of a flow, the larger first. */
async function shots(page: Page, name: string): Promise<void> {
  await page.setViewportSize(VIEWPORTS.large);
  await page.waitForTimeout(150);
  await shot(page, name);
  await page.setViewportSize(VIEWPORTS.small);
  await page.waitForTimeout(150);
  await shot(page, name);
  await page.setViewportSize(VIEWPORTS.large);
}

describe('composition in the studio', () => {
  it('progress on the cards, the items filtered, a child opened and left by the breadcrumb, counts on the dashboard', async () => {
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('batch', parent));
    await page.click(sel('run'));
    // Live: the map's card counts its items while it runs.
    const progress = page.locator(`${sel('run-view')} ${sel('node-progress-each')}`);
    await expect.poll(() => progress.textContent(), { timeout: 20_000 }).toMatch(/\b([1-9]|1[01]) \/ 12 items/);
    await shots(page, 'composition-progress');
    await runStatus(page, 'succeeded');
    expect(await progress.textContent()).toMatch(/12 \/ 12 items.*2 failed/);
    expect(await page.locator(`${sel('run-view')} ${sel('node-progress-polish')}`).textContent()).toContain(
      'iteration 3',
    );
    expect(await page.locator(`${sel('run-view')} ${sel('node-progress-once')}`).textContent()).toContain(
      'child succeeded',
    );
    const parentId = (await page.locator(sel('run-status')).getAttribute('data-run-id'))!;

    // The map's items in its inspector: by status, then by text.
    await card(page, 'each').locator(sel('open-child-each')).click();
    const rows = page.locator(`${sel('child-list')} tbody tr`);
    await expect.poll(() => rows.count()).toBe(12);
    await page.locator(sel('child-status')).selectOption('failed');
    expect(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-testid')))).toEqual([
      'child-row-4',
      'child-row-9',
    ]);
    await typeText(page, 'child-filter', 'item 9');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.locator(sel('child-row-9')).textContent()).toMatch(/item 9.*failed/);
    await shots(page, 'composition-items');
    expect(await axeViolations(page)).toEqual([]);

    // A row opens that child: the full run view, with the breadcrumb back.
    await page.locator(sel('child-row-9')).click();
    await page.locator(`${sel('run-view')}[data-run-id]:not([data-run-id="${parentId}"])`).waitFor();
    await runStatus(page, 'failed');
    await expect.poll(() => page.locator(sel('crumb-current')).textContent()).toBe('item 9 · Per item');
    expect(await card(page, 'check').getAttribute('data-status')).toBe('failed');
    for (const control of ['pause', 'resume', 'cancel', 'run-rerun', 'export-run-jsonl'])
      expect(await page.locator(sel(control)).count()).toBe(1);
    await shots(page, 'composition-child');
    expect(await axeViolations(page)).toEqual([]);
    await page.locator(sel('crumb-node-each')).click();
    await page.locator(`${sel('run-view')}[data-run-id="${parentId}"]`).waitFor();
    await page.locator(`${sel('inspector')}[data-node="each"]`).waitFor();

    // A double-click on the loop's card opens its latest iteration; the breadcrumb's run leads back.
    await card(page, 'polish').locator('.sp-label').dblclick();
    await expect.poll(() => page.locator(sel('crumb-current')).textContent()).toBe('iteration 3 · Count up');
    await runStatus(page, 'succeeded');
    await page.locator(sel(`crumb-run-${parentId}`)).click();
    await page.locator(`${sel('run-view')}[data-run-id="${parentId}"]`).waitFor();
    expect(await page.locator(sel('run-breadcrumb')).count()).toBe(0);

    // The dashboard: the top-level run alone, with its children counted.
    await page.click(sel('tab-runs'));
    const row = page.locator(sel(`run-row-${parentId}`));
    await row.waitFor();
    expect(await page.locator(sel('runs-table')).getAttribute('data-total')).toBe('1');
    const children = row.locator('[data-col="children"]');
    await expect.poll(() => children.textContent()).toBe('16 · 14 ✓ 2 ✗');
    expect(await children.getAttribute('title')).toBe('16 child runs: 2 failed, 14 succeeded');
    await shots(page, 'composition-dashboard');
    expect(await axeViolations(page)).toEqual([]);
    // The map's graph chosen in the filter: its runs are children, listed with whose they are.
    await page.locator(`${sel('filter-graph')} option[value="per-item"]`).waitFor({ state: 'attached' });
    await page.selectOption(sel('filter-graph'), 'per-item');
    await expect.poll(() => page.locator(sel('runs-table')).getAttribute('data-total')).toBe('12');
    const whose = await page.locator(`${sel('runs-table')} [data-col="children"]`).allTextContents();
    expect(whose.length).toBeGreaterThan(0);
    for (const w of whose) expect(w).toBe('child of each');
    expect(realErrors(errors)).toEqual([]);
  }, 120_000);

  it('a map whose items wait for a person says on its card where they wait; a child opened from Items is approved there', async () => {
    const gated = {
      format: 'statepipe.graph',
      version: 1,
      id: 'gated',
      name: 'Gated',
      nodes: [
        { id: 'gate', type: 'approval', position: { x: 0, y: 0 }, config: { title: 'Ship item {{input.item}}?' } },
        { id: 'r', type: 'output', position: { x: 260, y: 0 }, config: { value: '{{input.item}}' } },
      ],
      edges: [e('gate', 'r')],
    };
    const batch = {
      format: 'statepipe.graph',
      version: 1,
      id: 'gated-batch',
      name: 'Gated batch',
      graphs: { gated },
      nodes: [{ id: 'each', type: 'map', position: { x: 0, y: 0 }, config: { graph: 'gated', items: [1, 2, 3] } }],
      edges: [],
    };
    const { page, errors } = await h.page();
    await importFile(page, writeGraph('gated-batch', batch));
    await page.click(sel('run'));
    await runStatus(page, 'waiting');
    const parentId = (await page.locator(sel('run-status')).getAttribute('data-run-id'))!;
    const waits = page.locator(`${sel('run-view')} ${sel('node-waits-each')}`);
    await expect.poll(() => waits.textContent()).toBe('3 wait for gate');
    await shot(page, 'map-items-waiting');
    // Items → the first child → its gate, approved there; two are left to decide.
    await card(page, 'each').locator(sel('open-child-each')).click();
    await page.locator(sel('child-row-0')).click();
    await page.locator(`${sel('run-view')}[data-run-id]:not([data-run-id="${parentId}"])`).waitFor();
    await page.locator(sel('approve-gate')).click();
    await page.click(sel('approval-submit'));
    await runStatus(page, 'succeeded');
    await page.locator(sel(`crumb-run-${parentId}`)).click();
    await page.locator(`${sel('run-view')}[data-run-id="${parentId}"]`).waitFor();
    await expect.poll(() => waits.textContent()).toBe('2 wait for gate');
    expect(realErrors(errors)).toEqual([]);
  });

  it('create subgraph from selection: a saved graph and a subgraph node wired the same way, undone in one step', async () => {
    const { page, errors } = await h.page();
    const chain = {
      format: 'statepipe.graph',
      version: 1,
      id: 'chain',
      name: 'Chain',
      nodes: [
        { id: 'in', type: 'input', position: { x: 0, y: 0 }, config: {} },
        { id: 'a', type: 'transform', position: { x: 260, y: 0 }, config: { template: 2 } },
        { id: 'b', type: 'transform', position: { x: 520, y: 0 }, config: { template: '{{nodes.a.output * 10}}' } },
        { id: 'c', type: 'transform', position: { x: 780, y: 0 }, config: { template: '{{nodes.b.output + 1}}' } },
        { id: 'result', type: 'output', position: { x: 1040, y: 0 }, config: { value: '{{nodes.c.output}}' } },
      ],
      edges: [e('in', 'a'), e('a', 'b'), e('b', 'c'), e('c', 'result')],
    };
    await importFile(page, writeGraph('chain', chain));
    expect(await page.locator(sel('make-subgraph')).isDisabled()).toBe(true);
    await clickNode(page, 'b');
    await page.keyboard.down('Shift');
    await clickNode(page, 'c');
    await page.keyboard.up('Shift');
    await page.locator(`${sel('node-c')} .sp-label`).click({ button: 'right' });
    await page.locator(sel('menu-make-subgraph')).click();
    await page.locator(sel('subgraph-dialog')).waitFor();
    await page.keyboard.type('Tail steps');
    expect(await page.locator(sel('subgraph-id')).inputValue()).toBe('tail-steps');
    await shots(page, 'composition-make-subgraph');
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator(sel('toast-success')).textContent()).toContain('the saved graph stays');
    await page.locator(sel('node-tail-steps')).waitFor();
    expect(await page.locator(`${sel('canvas')} ${sel('node-b')}`).count()).toBe(0);
    await shots(page, 'composition-subgraph-made');
    // The graph just saved is one the subgraph node runs: no problem and no warning about it.
    await page.locator(`${sel('canvas')} .react-flow__pane`).click({ position: { x: 20, y: 20 } });
    await expect.poll(() => page.locator(sel('graph-validity')).getAttribute('data-valid')).toBe('true');
    expect(await page.locator(sel('graph-warnings')).count()).toBe(0);

    // The rewired graph runs to the same result: 2 * 10 + 1, through the child run.
    await page.click(sel('run'));
    await runStatus(page, 'succeeded');
    expect(await page.locator(`${sel('run-view')} ${sel('node-progress-tail-steps')}`).textContent()).toContain(
      'child succeeded',
    );
    await card(page, 'result').locator('.sp-label').click();
    await expect.poll(() => page.locator(sel('inspector-output')).textContent()).toContain('21');
    await page.click(sel('run-back'));

    // One undo step puts the nodes back; the saved graph stays in Open.
    await page.locator(`${sel('canvas')} .react-flow__pane`).click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+z');
    await page.locator(`${sel('canvas')} ${sel('node-b')}`).waitFor();
    expect(await page.locator(`${sel('canvas')} ${sel('node-tail-steps')}`).count()).toBe(0);
    await page.click(sel('open-graph'));
    await page.locator(sel('open-tail-steps')).waitFor();
    await page.keyboard.press('Escape');
    expect(realErrors(errors)).toEqual([]);
  }, 90_000);
});
