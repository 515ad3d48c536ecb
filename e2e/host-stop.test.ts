/**
 * A run another server drove when it was stopped (Ctrl+C): a person finds it on the dashboard,
 * paused by its host and told so, and resumes it to its end. Real `statepipe serve` process on the
 * studio's database, a real POST server on 127.0.0.1, a real SIGINT, Chromium.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startServeChild } from '../test/serve-child';
import { harness, realErrors, sel, shot } from './harness';

const h = harness();

const runStatus = (page: Page, status: string, timeout = 15_000) =>
  page.locator(`${sel('run-status')}[data-status="${status}"]`).waitFor({ timeout });

describe('a run paused by its host stopping', () => {
  it('is found on the dashboard, says why it is paused, and resumes to its end without sending its POST twice', async () => {
    let posts = 0;
    const shop = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        posts++;
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"placed":true}'), 800);
      });
    });
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(shop.address() as AddressInfo).port}/orders`;
    const other = await startServeChild(join(h.dir, 'studio.db'));
    try {
      const graph = {
        format: 'statepipe.graph',
        version: 1,
        id: 'two-orders',
        nodes: [
          { id: 'first', type: 'http', position: { x: 0, y: 100 }, config: { method: 'POST', url, body: { n: 1 } } },
          { id: 'second', type: 'http', position: { x: 260, y: 100 }, config: { method: 'POST', url, body: { n: 2 } } },
        ],
        edges: [{ id: 'e1', source: 'first', target: 'second' }],
      };
      const res = await fetch(`http://127.0.0.1:${other.port}/api/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ graph }),
      });
      const { runId } = (await res.json()) as { runId: string };
      await expect.poll(() => posts, { timeout: 15_000 }).toBe(1);
      // Ctrl+C on the other server: the POST in flight finishes, then it stops.
      const exited = new Promise((r) => other.child.once('exit', r));
      other.child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(other.stderr()).toContain(`paused: ${runId}`);

      const { page, errors } = await h.page();
      await page.click(sel('tab-runs'));
      const row = page.locator(sel(`run-row-${runId}`));
      await row.waitFor();
      await row.click();
      await runStatus(page, 'paused');
      const notice = page.locator(sel('run-paused-by-host'));
      await notice.waitFor();
      expect(await notice.textContent()).toContain('not by a person');
      await shot(page, 'paused-by-host');
      await page.click(sel('resume'));
      await runStatus(page, 'succeeded');
      expect(await notice.count()).toBe(0);
      expect(posts).toBe(2); // the first POST was recorded before the stop: never sent again
      expect(realErrors(errors)).toEqual([]);
    } finally {
      await other.stop();
      await new Promise<void>((r) => shop.close(() => r()));
    }
  }, 90_000);
});
