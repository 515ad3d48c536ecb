/** Shared e2e setup: a web host on a temp database and headless Chromium (playwright-core). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Graph } from '../src/core/graph/schema';
import { startServer, type RunningServer } from '../src/server/index';

export const ROOT = join(import.meta.dirname, '..');
export const ARTIFACTS = join(ROOT, 'e2e/artifacts');
export const EXAMPLES = ['document-pipeline', 'vendor-onboarding'] as const;
export const examplePath = (name: string) => join(ROOT, 'examples', `${name}.json`);
export const example = (name: string) => JSON.parse(readFileSync(examplePath(name), 'utf8')) as Graph;

/** The two screen sizes the studio is checked at. */
export const VIEWPORTS = { large: { width: 1440, height: 900 }, small: { width: 1280, height: 720 } } as const;
export type Viewport = (typeof VIEWPORTS)[keyof typeof VIEWPORTS];

export interface Harness {
  server: RunningServer;
  browser: Browser;
  dir: string;
  /** A fresh page (own context: empty localStorage), opened on the studio and connected. */
  page(opts?: {
    theme?: 'light' | 'dark';
    viewport?: Viewport;
  }): Promise<{ page: Page; context: BrowserContext; errors: string[] }>;
  close(): Promise<void>;
}

/** The machine's Chromium with the flags every e2e test uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['STATEPIPE_CHROMIUM'] ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'statepipe-e2e-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await startServer({ dbPath: join(dir, 'studio.db'), port: 0, version: '0.1.0-e2e' });
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  return {
    server,
    browser,
    dir,
    async page(opts = {}) {
      const context = await browser.newContext({
        viewport: opts.viewport ?? VIEWPORTS.large,
        colorScheme: opts.theme ?? 'light',
        acceptDownloads: true,
      });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await page.goto(server.url);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 });
      return { page, context, errors };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Imports a graph file through the toolbar's file input. */
export async function importFile(page: Page, path: string): Promise<void> {
  await page.locator('[data-testid="import-graph"]').setInputFiles(path);
  await page.locator('.react-flow__node').first().waitFor();
  await page.waitForTimeout(250); // the canvas fits the view after an import
}

/** The document's bytes as a person gets them: Export, then the downloaded file. */
export async function exportedBytes(page: Page): Promise<string> {
  const download = page.waitForEvent('download');
  await page.click('[data-testid="export-graph"]');
  const file = await download;
  return readFileSync((await file.path())!, 'utf8');
}

/** Types into a Monaco field as a person does: click into it, select everything, type (or paste long text). */
export async function typeInEditor(
  page: Page,
  testId: string,
  text: string,
  opts: { paste?: boolean } = {},
): Promise<void> {
  const field = page.locator(`[data-testid="${testId}"][data-ready="true"]`);
  await field.waitFor();
  await field.locator('.view-lines').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  if (opts.paste) await page.keyboard.insertText(text);
  else await page.keyboard.type(text);
}

/** The text a Monaco field shows, its rendered lines joined (a wrapped line reads as one). */
export async function editorText(page: Page, testId: string): Promise<string> {
  const lines = page.locator(`[data-testid="${testId}"] .view-line`);
  return (await lines.allTextContents()).join('').replace(/\u00a0/g, ' ');
}

/** Axe over the page as it is: the critical and serious violations (none is the target). */
export async function axeViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes
          .slice(0, 8)
          .map((n) => `${n.target.join(' ')}${n.any[0]?.data ? ` ${JSON.stringify(n.any[0].data)}` : ''}`)
          .join(' | ')})`,
    );
}

/** Axe's findings for the given rules only, whatever their impact (e.g. `heading-order`, a moderate one). */
export async function axeRules(page: Page, rules: string[]): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withRules(rules).analyze();
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

/** A screenshot in e2e/artifacts named for the flow and the viewport. */
export async function shot(page: Page, name: string): Promise<void> {
  const v = page.viewportSize();
  await page.screenshot({ path: join(ARTIFACTS, `${name}-${v ? `${v.width}x${v.height}` : 'page'}.png`) });
}

/** Drags from a node's source handle (optionally `true`/`false`) to another node's target handle. */
export async function connect(page: Page, from: string, to: string, handle?: string): Promise<void> {
  const edges = page.locator('.react-flow__edge');
  const before = await edges.count();
  for (let attempt = 0; attempt < 3; attempt++) {
    await dragHandle(page, from, to, handle);
    for (let i = 0; i < 20 && (await edges.count()) === before; i++) await page.waitForTimeout(25);
    if ((await edges.count()) > before) return;
    console.warn(`e2e: connecting ${from} -> ${to} did not take (attempt ${attempt + 1})`);
  }
  throw new Error(`could not connect ${from} -> ${to}`);
}

async function dragHandle(page: Page, from: string, to: string, handle?: string): Promise<void> {
  const src = page.locator(
    `[data-testid="node-${from}"] .react-flow__handle.source${handle ? `[data-handleid="${handle}"]` : ''}`,
  );
  const dst = page.locator(`[data-testid="node-${to}"] .react-flow__handle.target`);
  const a = (await src.boundingBox())!;
  const b = (await dst.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

/** Errors a page logged that are not expected noise. */
export const realErrors = (errors: string[]) => errors.filter((e) => !/favicon|ResizeObserver loop/.test(e));

/** Types into an input or a textarea as a person does: click, select what is there, type. */
export async function typeText(page: Page, testId: string, text: string): Promise<void> {
  const el = page.locator(`[data-testid="${testId}"]`);
  await el.click();
  await page.keyboard.press('Control+a');
  if (text === '') await page.keyboard.press('Delete');
  else await page.keyboard.type(text);
}

/** Clicks a node's card (its title) on the canvas in view. */
export const clickNode = (page: Page, id: string) =>
  page.locator(`[data-testid="node-${id}"]:visible .sp-label`).click();

/** The harness of a test file: started before its tests, closed after them. */
export function harness(): Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());
  const get = (): Harness => {
    if (!h) throw new Error('e2e: the harness starts in beforeAll');
    return h;
  };
  return {
    get server() {
      return get().server;
    },
    get browser() {
      return get().browser;
    },
    get dir() {
      return get().dir;
    },
    page: (opts) => get().page(opts),
    close: () => get().close(),
  };
}

/** A code node that throws on line 2 of its code, after a transform gives it `{ n: 41 }`. */
export const CODE_FAILS = {
  format: 'statepipe.graph',
  version: 1,
  id: 'code-fails',
  nodes: [
    { id: 'start', type: 'input', position: { x: 0, y: 100 } },
    { id: 'prep', type: 'transform', position: { x: 240, y: 100 }, config: { template: { n: 41 } } },
    {
      id: 'calc',
      type: 'code',
      position: { x: 480, y: 100 },
      config: { code: 'const n = nodes.prep.n;\nif (n < 42) throw new Error("kaboom: " + n);\nreturn n;' },
    },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'prep' },
    { id: 'e2', source: 'prep', target: 'calc' },
  ],
};

/** The CSS selector of an element by its `data-testid`. */
export const sel = (id: string): string => `[data-testid="${id}"]`;
