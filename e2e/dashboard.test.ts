/**
 * The runs dashboard, run detail (trace, time travel) and run diff, over 300 runs made by the
 * CLI on the studio's database: filters, sort, a failed run's error, time travel to a
 * node.started, and the diff of two runs whose graphs differ in one mock reply.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../src/cli/cli-test-kit';
import { ARTIFACTS, realErrors, shot, startHarness, type Harness } from './harness';

let h: Harness;
let db: string;

const node = (id: string, type: string, config?: Record<string, unknown>, x = 0) => ({
  id,
  type,
  position: { x, y: 0 },
  ...(config ? { config } : {}),
});
const llm = (reply: unknown, extra: Record<string, unknown> = {}) => ({
  provider: 'mock',
  model: 'mock-1',
  prompt: 'Say it',
  mock: { reply, tokensPerSecond: 0, ...extra },
});
const chain = (id: string, nodes: ReturnType<typeof node>[], defaults?: unknown) => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  input: { type: 'object', properties: { n: { type: 'number' }, words: { type: 'string' } } },
  ...(defaults ? { defaults } : {}),
  nodes: nodes.map((n, i) => ({ ...n, position: { x: i * 260, y: 0 } })),
  edges: nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: nodes[i]!.id, target: n.id })),
});

function write(name: string, graph: unknown): string {
  const file = join(h.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(graph, null, 2));
  return file;
}

/** The ids of every row of the virtual list, scrolling it from top to bottom. */
async function allRowIds(page: Page): Promise<string[]> {
  const scroller = page.locator('[data-testid="runs-scroller"]');
  const seen = new Set<string>();
  await scroller.evaluate((el) => (el.scrollTop = 0));
  for (let i = 0; i < 100; i++) {
    await page.waitForTimeout(60);
    await expect.poll(() => page.locator('[data-testid="run-row-loading"]').count()).toBe(0);
    for (const id of await page
      .locator('[data-testid^="run-row-run_"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice(8))))
      seen.add(id);
    const done = await scroller.evaluate((el) => {
      const end = el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
      el.scrollTop += el.clientHeight - 40;
      return end;
    });
    if (done) break;
  }
  return [...seen];
}

beforeAll(async () => {
  h = await startHarness();
  db = h.server.service.store.displayName;
  const ok = write(
    'dash-ok',
    chain('dash-ok', [
      node('start', 'input'),
      node('ask', 'llm', { ...llm('ok', { usage: { outputTokens: 0 } }), prompt: '{{input.words}}' }),
      node('result', 'output', { value: '{{nodes.ask.output.text}}' }),
    ]),
  );
  const fail = write(
    'dash-fail',
    chain(
      'dash-fail',
      [
        node('start', 'input'),
        node('boom', 'llm', llm('never', { failTimes: 5 })),
        node('result', 'output', { value: '{{nodes.boom.output.text}}' }),
      ],
      { retry: { maxAttempts: 1 } },
    ),
  );
  const wait = write(
    'dash-wait',
    chain('dash-wait', [
      node('start', 'input'),
      node('gate', 'approval', { title: 'Check {{input.n}}' }),
      node('result', 'output', { value: 'done' }),
    ]),
  );
  const inputs = join(h.dir, 'inputs.jsonl');
  writeFileSync(
    inputs,
    Array.from({ length: 100 }, (_, i) =>
      JSON.stringify({ n: i + 1, words: Array.from({ length: i + 1 }, () => 'w').join(' ') }),
    ).join('\n') + '\n',
  );
  const results = await Promise.all(
    [ok, fail, wait].map((g) =>
      cli(['run', g, '--inputs', inputs, '--concurrency', '10', '--db', db, '--no-color'], { timeoutMs: 60_000 }),
    ),
  );
  expect(
    results.map((r) => r.code),
    results.map((r) => r.stderr).join('\n'),
  ).toEqual([0, 1, 3]);
}, 90_000);
afterAll(async () => h?.close());

describe('runs dashboard', () => {
  it('filters by status, sorts by tokens, and stays live', async () => {
    const { page, errors } = await h.page();
    await page.click('[data-testid="tab-runs"]');
    await expect
      .poll(() => page.locator('[data-testid="runs-total"]').getAttribute('data-total'), { timeout: 10_000 })
      .toBe('300');
    // Virtualized: 300 runs, a few dozen rows in the DOM.
    expect(await page.locator('[data-testid^="run-row-run_"]').count()).toBeLessThan(60);

    for (const status of ['failed', 'waiting'] as const) {
      await page.click(`[data-testid="filter-status-${status}"]`);
      await expect.poll(() => page.locator('[data-testid="runs-total"]').getAttribute('data-total')).toBe('100');
      const expected = (await h.server.service.list({ status, limit: 1000 })).map((r) => r.runId);
      expect((await allRowIds(page)).sort()).toEqual(expected.sort());
      for (const s of await page
        .locator('[data-testid^="run-row-run_"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))))
        expect(s).toBe(status);
      await page.click(`[data-testid="filter-status-${status}"]`);
    }

    // Free text over inputs/outputs/errors: the failed runs' error message.
    await page.locator('[data-testid="filter-text"]').click();
    await page.keyboard.type('mock failure');
    await expect.poll(() => page.locator('[data-testid="runs-total"]').getAttribute('data-total')).toBe('100');
    // Text that matches nothing: the empty list says the filters are why, not that there are no runs.
    await page.keyboard.type(' that never happened');
    await expect
      .poll(() => page.locator('[data-testid="runs-empty"]').textContent())
      .toContain('No runs match these filters');
    await page.click('[data-testid="filter-clear"]');
    await expect.poll(() => page.locator('[data-testid="runs-total"]').getAttribute('data-total')).toBe('300');

    // Sort by tokens (the prompt is the input's n words: the mock counts n tokens), descending then ascending.
    await page.click('[data-testid="sort-tokens"]');
    const tokens = () =>
      page
        .locator('[data-testid^="run-row-run_"] [data-col="tokens"]')
        .evaluateAll((els) => els.slice(0, 12).map((e) => Number(e.textContent!.replace(/,/g, ''))));
    await expect.poll(async () => (await tokens())[0]).toBe(100);
    const desc = await tokens();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await page.click('[data-testid="sort-tokens"]');
    await expect.poll(async () => (await tokens())[0]).toBe(0);
    const asc = await tokens();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await page.click('[data-testid="sort-created"]');

    // Live: a run made by the CLI now appears without a reload.
    const r = await cli([
      'run',
      join(h.dir, 'dash-ok.json'),
      '--input',
      '{"n":7,"words":"a b"}',
      '--db',
      db,
      '--no-color',
    ]);
    expect(r.code).toBe(0);
    await expect
      .poll(() => page.locator('[data-testid="runs-total"]').getAttribute('data-total'), { timeout: 10_000 })
      .toBe('301');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    expect(realErrors(errors)).toEqual([]);
  }, 60_000);

  it('5: opens a failed run from its row; time travel moves the canvas, the node, the trace, the timeline and the logs', async () => {
    const { page, errors } = await h.page();
    const failed = (await h.server.service.list({ status: 'failed', limit: 1 }))[0]!.runId;
    await page.click('[data-testid="tab-runs"]');
    await page.click('[data-testid="filter-status-failed"]');
    await page.locator(`[data-testid="run-row-${failed}"]`).click();
    await page.locator(`[data-testid="run-view"][data-run-id="${failed}"]:not([data-loading])`).waitFor();
    const onCanvas = (id: string) =>
      page.locator(`[data-testid="run-view"] [data-testid="node-${id}"]`).getAttribute('data-status');
    await expect.poll(() => onCanvas('boom')).toBe('failed');
    await page.click('[data-testid="rd-tab-trace"]');
    await expect
      .poll(() => page.locator('[data-testid="trace-error"]').first().textContent())
      .toContain('mock failure');
    expect(await page.locator('[data-testid="trace-node-boom"]').getAttribute('data-status')).toBe('failed');
    // The inspector of boom, live: failed, with its error.
    await page.locator('[data-testid="run-view"] [data-testid="node-boom"] .sp-label').click();
    await expect
      .poll(() => page.locator('[data-testid="inspector-status"]').getAttribute('data-status'))
      .toBe('failed');
    // Step back, event by event, to boom's start.
    for (let i = 0; i < 40; i++) {
      if ((await page.locator('[data-testid="time-travel-event"]').textContent())?.includes('node.started · boom'))
        break;
      await page.click('[data-testid="time-travel-prev"]');
    }
    expect(await page.locator('[data-testid="time-travel-event"]').textContent()).toContain('node.started · boom');
    await page.locator('[data-testid="time-travel-notice"]').waitFor();
    expect(await onCanvas('boom')).toBe('running');
    expect(await onCanvas('start')).toBe('succeeded');
    expect(await onCanvas('result')).toBe('idle');
    // Every tab shows the run as it was then.
    expect(await page.locator('[data-testid="inspector-status"]').getAttribute('data-status')).toBe('running');
    expect(await page.locator('[data-testid="inspector"] [data-testid="inspector-error"]').count()).toBe(0);
    await page.click('[data-testid="rd-tab-trace"]');
    expect(await page.locator('[data-testid="trace-node-boom"]').getAttribute('data-status')).toBe('running');
    expect(await page.locator('[data-testid="trace-error"]').count()).toBe(0);
    await page.click('[data-testid="rd-tab-timeline"]');
    expect(await page.locator('[data-testid="gantt-bar-boom-1"]').getAttribute('data-status')).toBe('running');
    // The timeline fits the side panel: nothing of it is off to the right.
    expect(await page.locator('.gantt-box').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    await page.click('[data-testid="rd-tab-logs"]');
    expect(await page.locator('[data-testid="log-line"][data-level="error"]').count()).toBe(0);
    await shot(page, 'time-travel-all-tabs');
    // Back to live: the failure again in every tab.
    await page.click('[data-testid="time-travel-live"]');
    await page.click('[data-testid="log-level-error"]');
    expect(await page.locator('[data-testid="log-line"][data-level="error"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="log-line"]:not([data-level="error"])').count()).toBe(0);
    await page.click('[data-testid="rd-tab-timeline"]');
    expect(await page.locator('[data-testid="gantt-bar-boom-1"]').getAttribute('data-status')).toBe('failed');

    const download = page.waitForEvent('download');
    await page.click('[data-testid="export-run-jsonl"]');
    const jsonl = await (await download).createReadStream().then(async (s) => {
      let t = '';
      for await (const c of s) t += String(c);
      return t;
    });
    expect(
      jsonl
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type),
    ).toContain('run.failed');
    await shot(page, 'run-view-finished');
    expect(realErrors(errors)).toEqual([]);
  }, 45_000);

  it('4: a waiting CLI run opened from its row has every control: approved from its card, it succeeds; a link opens the same view', async () => {
    const waiting = (await h.server.service.list({ status: 'waiting', limit: 2 })).map((r) => r.runId);
    const { page, errors } = await h.page();
    await page.click('[data-testid="tab-runs"]');
    await page.click('[data-testid="filter-status-waiting"]');
    await page.locator(`[data-testid="run-row-${waiting[0]}"]`).click();
    await page.locator(`[data-testid="run-status"][data-status="waiting"][data-run-id="${waiting[0]}"]`).waitFor();
    for (const id of ['pause', 'cancel']) expect(await page.locator(`[data-testid="${id}"]`).isEnabled()).toBe(true);
    expect(await page.locator('[data-testid="resume"]').isDisabled()).toBe(true);
    await page.locator('[data-testid="approve-gate"]').waitFor();
    expect(await page.locator('[data-testid="reject-gate"]').count()).toBe(1);
    await shot(page, 'cli-run-from-table');
    await page.click('[data-testid="approve-gate"]');
    await page.keyboard.type('checked');
    await page.click('[data-testid="approval-submit"]');
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor({ timeout: 15_000 });
    // The address names the run on screen; opening that link shows the same view.
    expect(new URL(page.url()).hash).toBe(`#run=${waiting[0]}`);
    const { page: other } = await h.page();
    await other.goto(`${h.server.url}#run=${waiting[1]}`);
    await other.locator(`[data-testid="run-status"][data-status="waiting"][data-run-id="${waiting[1]}"]`).waitFor();
    await other.locator('[data-testid="approve-gate"]').waitFor();
    await other.click('[data-testid="run-back"]');
    await other.locator('[data-testid="runs-table"]').waitFor();
    expect(realErrors(errors)).toEqual([]);
  }, 45_000);

  it('a run started by the CLI is followed live from its row', async () => {
    const graphFile = write('cli-live', {
      format: 'statepipe.graph',
      version: 1,
      id: 'cli-live',
      nodes: [
        { id: 'start', type: 'input', position: { x: 0, y: 0 } },
        {
          id: 'a',
          type: 'llm',
          position: { x: 240, y: 0 },
          config: {
            ...llm('one two three four five six seven eight nine ten'),
            mock: { reply: 'one two three four five six seven eight nine ten', tokensPerSecond: 4 },
          },
        },
        { id: 'out', type: 'output', position: { x: 480, y: 0 }, config: { value: '{{nodes.a.output.text}}' } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'a' },
        { id: 'e2', source: 'a', target: 'out' },
      ],
    });
    const { page, errors } = await h.page();
    await page.click('[data-testid="tab-runs"]');
    const run = cli(['run', graphFile, '--db', db, '--json', '--no-color'], { timeoutMs: 30_000 });
    await expect
      .poll(async () => (await h.server.service.list({ graphId: 'cli-live', limit: 1 }))[0]?.runId, { timeout: 10_000 })
      .toBeTruthy();
    const runId = (await h.server.service.list({ graphId: 'cli-live', limit: 1 }))[0]!.runId;
    await page.locator(`[data-testid="run-row-${runId}"]`).click();
    await page
      .locator(`[data-testid="run-view"] [data-testid="node-a"][data-status="running"]`)
      .waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    expect((await run).code).toBe(0);
    await page.click('[data-testid="run-back"]');
    await expect.poll(() => page.locator(`[data-testid="run-row-${runId}"]`).textContent()).toContain('succeeded');
    expect(realErrors(errors)).toEqual([]);
  }, 45_000);

  it('diffs two runs of one graph whose versions differ in one mock reply', async () => {
    const graph = (reply: string) =>
      ({
        ...chain('dash-diff', [
          node('start', 'input'),
          node('pre', 'llm', llm('constant')),
          node('greet', 'llm', llm(reply)),
          node('shout', 'transform', { template: { loud: '{{nodes.greet.output.text}}!' } }),
          node('result', 'output', { value: '{{nodes.shout.output.loud}} / {{nodes.side.output.text}}' }),
        ]),
      }) as ReturnType<typeof chain>;
    const v1 = graph('Hello');
    const v2 = graph('Howdy');
    for (const g of [v1, v2]) {
      g.nodes.push({ id: 'side', type: 'llm', position: { x: 520, y: 160 }, config: llm('side') });
      g.edges.push({ id: 'es1', source: 'start', target: 'side' }, { id: 'es2', source: 'side', target: 'result' });
    }
    // A node of the second version only.
    v2.nodes.push({ id: 'extra', type: 'llm', position: { x: 520, y: 320 }, config: llm('extra') });
    v2.edges.push({ id: 'ex1', source: 'start', target: 'extra' });
    const ids: string[] = [];
    for (const [name, g] of [
      ['diff-v1', v1],
      ['diff-v2', v2],
    ] as const) {
      const r = await cli(['run', write(name, g), '--input', '{"n":1}', '--db', db, '--json', '--no-color']);
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as { runId: string }).runId);
    }
    const { page, errors } = await h.page();
    await page.click('[data-testid="tab-runs"]');
    await page.locator('[data-testid="filter-graph"] option[value="dash-diff"]').waitFor({ state: 'attached' });
    await page.selectOption('[data-testid="filter-graph"]', 'dash-diff');
    await expect.poll(() => page.locator('[data-testid="runs-total"]').getAttribute('data-total')).toBe('2');
    await page.check(`[data-testid="select-${ids[0]}"]`);
    await page.check(`[data-testid="select-${ids[1]}"]`);
    await page.click('[data-testid="bulk-compare"]');
    await page.locator('[data-testid="run-diff"]:not([data-loading])').waitFor();
    const marks = async () =>
      Object.fromEntries(
        await page
          .locator('[data-testid="diff-canvas"] [data-diff]')
          .evaluateAll((els) => els.map((e) => [e.getAttribute('data-testid')!.slice(5), e.getAttribute('data-diff')])),
      );
    await expect.poll(marks).toEqual({
      start: 'same',
      pre: 'same',
      greet: 'changed',
      shout: 'changed',
      result: 'changed',
      side: 'same',
      extra: 'only-b',
    });
    // Nothing to compare it with: its own figure, not a change of ±0.
    expect(await page.locator('[data-testid="diff-tokens-extra"]').textContent()).toMatch(/^— \(\d/);
    expect(await page.locator('[data-testid="diff-tokens-pre"]').textContent()).toBe('±0');
    expect(await page.locator('[data-testid="diff-detail"]').getAttribute('data-node')).toBe('greet');
    expect(await page.locator('[data-testid="diff-output"]').textContent()).toContain('Howdy');
    await page.screenshot({ path: join(ARTIFACTS, 'run-diff.png') });

    // The older run's detail says its graph has changed since, and shows the change.
    await page.click('[data-testid="run-diff-back"]');
    await page.locator(`[data-testid="run-row-${ids[0]}"]`).click();
    await page.locator('[data-testid="graph-changed"]').waitFor();
    await page.click('[data-testid="graph-diff-toggle"]');
    expect(await page.locator('[data-testid="graph-diff"]').textContent()).toContain('Hello');
    expect(realErrors(errors)).toEqual([]);
  }, 45_000);
});
