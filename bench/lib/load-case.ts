/**
 * The studio's first load in Chromium, next to a blank page from the same server: each rep opens
 * a fresh browser context (a cold cache, as a first visit), alternating the blank page and the
 * studio. The studio's time to interactive is its `statepipe:interactive` mark (the editor has
 * rendered and its handlers are attached); the blank page's is its load event. The JavaScript
 * "parsed before interactive" is every script resource (entry, modulepreloads, dynamic chunks)
 * whose response ended before that mark, by decoded size. Then it checks that Monaco and elk are
 * not part of the load: Monaco arrives when a code/JSON field first opens, elk on first Layout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { startServer } from '../../src/server/index.js';
import { CHROMIUM_ARGS } from './browser.js';
import type { LoadResult, LoadSpec } from './cases.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

type Script = { name: string; bytes: number; at: number };
const scripts = (page: Page): Promise<Script[]> =>
  page.evaluate(() =>
    (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((r) => /\.js(\?|$)/.test(r.name))
      .map((r) => ({ name: r.name.split('/').pop()!.split('?')[0]!, bytes: r.decodedBodySize, at: r.responseEnd })),
  );

export async function loadCase(spec: LoadSpec): Promise<LoadResult> {
  // The built renderer and a blank page, served by one web host.
  const staticDir = path.join(spec.dir, 'static');
  fs.cpSync(path.join(ROOT, 'out', 'renderer'), staticDir, { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'blank.html'), '<!doctype html><title>blank</title><p>blank</p>\n');
  const server = await startServer({ dbPath: path.join(spec.dir, 'load.db'), port: 0, staticDir, version: 'bench' });
  const browser = await chromium.launch({
    executablePath: process.env['STATEPIPE_CHROMIUM'] ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const origin = new URL(server.url).origin;
  const blankUrl = `${origin}/blank.html?token=${encodeURIComponent(server.token)}`;
  const blankMs: number[] = [];
  const studioMs: number[] = [];
  const jsBytes: number[] = [];
  let files: Script[] = [];
  let lastPage: Page | undefined;
  try {
    for (let i = 0; i < spec.reps; i++) {
      for (const which of ['blank', 'studio'] as const) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
        const page = await context.newPage();
        if (which === 'blank') {
          await page.goto(blankUrl, { waitUntil: 'load' });
          blankMs.push(
            await page.evaluate(
              () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
            ),
          );
          await context.close();
          continue;
        }
        await page.goto(server.url);
        const tti = (await (
          await page.waitForFunction(() => performance.getEntriesByName('statepipe:interactive')[0]?.startTime)
        ).jsonValue()) as number;
        const before = (await scripts(page)).filter((s) => s.at <= tti);
        studioMs.push(tti);
        jsBytes.push(before.reduce((n, s) => n + s.bytes, 0));
        files = before;
        if (lastPage) await lastPage.context().close();
        lastPage = page;
      }
    }
    // Monaco and elk on demand, in the last studio page.
    const page = lastPage!;
    await page.waitForTimeout(1500);
    const has = async (prefix: string) => (await scripts(page)).some((s) => s.name.startsWith(prefix));
    const atIdle = { monaco: await has('editor.api'), elk: await has('elk') };
    await page
      .locator('[data-testid="import-graph"]')
      .setInputFiles(path.join(ROOT, 'examples', 'document-pipeline.json'));
    await page.locator('[data-testid="node-keywords"] .sp-label').click();
    await page.locator('[data-testid="field-code"][data-ready="true"]').waitFor({ timeout: 30_000 });
    const monacoOnField = await has('editor.api');
    const elkBeforeLayout = await has('elk');
    await page.click('[data-testid="auto-layout"]');
    for (let i = 0; i < 100 && !(await has('elk')); i++) await page.waitForTimeout(50);
    return {
      kind: 'load',
      reps: spec.reps,
      blankLoadMs: median(blankMs),
      studioTtiMs: median(studioMs),
      ratio: median(studioMs) / median(blankMs),
      jsBytesBeforeTti: Math.max(...jsBytes),
      files: files.map((s) => ({ name: s.name, bytes: s.bytes })),
      monacoAtStart: atIdle.monaco,
      elkAtStart: atIdle.elk || elkBeforeLayout,
      monacoOnField,
      elkOnLayout: await has('elk'),
    };
  } finally {
    await browser.close().catch(() => undefined);
    await server.close().catch(() => undefined);
  }
}
