/** The shell over `statepipe serve`: loads, guards the token, runs an example and follows its events. */
import { createServer, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { examplePath, importFile, realErrors, harness } from './harness';

const h = harness();

const get = (url: string, headers: Record<string, string> = {}) =>
  new Promise<number>((resolve, reject) => {
    request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });

describe('studio shell (web host)', () => {
  it('refuses a request and a socket without the token (HTTP 401)', async () => {
    const base = `http://127.0.0.1:${h.server.port}`;
    expect(await get(`${base}/`)).toBe(401);
    expect(await get(`${base}/?token=wrong`)).toBe(401);
    expect(await get(`${base}/`, { authorization: `Bearer ${h.server.token}` })).toBe(200);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${h.server.port}/ws`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(200);
      });
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
  });

  it('loads the shell with its views and shows the database in Settings', async () => {
    const { page, errors } = await h.page();
    for (const tab of ['editor', 'runs', 'settings']) await page.locator(`[data-testid="tab-${tab}"]`).waitFor();
    for (const id of ['run', 'save', 'export-graph', 'import-graph'])
      expect(await page.locator(`[data-testid="${id}"]`).count()).toBe(1);
    for (const type of [
      'input',
      'llm',
      'http',
      'code',
      'transform',
      'condition',
      'approval',
      'delay',
      'agent',
      'output',
    ])
      await page.locator(`[data-testid="palette-${type}"]`).waitFor();
    await page.click('[data-testid="tab-settings"]');
    await expect.poll(() => page.locator('[data-testid="db-path"]').textContent()).toContain('studio.db');
    expect(await page.locator('[data-testid="app-version"]').textContent()).toBe('0.1.0-e2e');
    await page.click('[data-testid="theme-dark"]');
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    await page.reload();
    await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    expect(realErrors(errors)).toEqual([]);
  });

  it('shows an open circuit breaker in Settings after a host keeps failing', async () => {
    // A port nobody listens on: every call is a network error (retryable), five in a row open the breaker.
    const dead = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'dead-host',
      nodes: [
        {
          id: 'call',
          type: 'http',
          config: { method: 'GET', url: `http://127.0.0.1:${dead}/x` },
          retry: { maxAttempts: 5, backoffMs: 5, strategy: 'fixed', jitter: false },
        },
      ],
      edges: [],
    };
    const outcome = await h.server.service.startRun(graph as never, {});
    expect(outcome.status).toBe('failed');
    const { page } = await h.page();
    await page.click('[data-testid="tab-settings"]');
    await page.locator('[data-testid="breakers"] [data-state="open"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="breakers"]').textContent()).toContain(`127.0.0.1:${dead}`);
  });

  it('runs an example from the page and follows its events until it succeeds', async () => {
    const { page, errors } = await h.page();
    await importFile(page, examplePath('document-pipeline'));
    await page.locator('[data-testid="node-result"]').waitFor();
    await page.locator('[data-testid="graph-validity"][data-valid="true"]').waitFor();
    await page.click('[data-testid="run"]');
    await page.locator('[data-testid="run-input-text"]').click();
    await page.keyboard.type('Alice runs ProjectX in Berlin and Alice is happy');
    await page.click('[data-testid="run-submit"]');
    // The run view: its toolbar has the run's controls.
    await page.locator('[data-testid="run-toolbar"]').waitFor();
    for (const id of ['pause', 'resume', 'cancel', 'run-status'])
      expect(await page.locator(`[data-testid="${id}"]`).count()).toBe(1);
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    for (const id of ['start', 'extract', 'sentiment', 'keywords', 'summary', 'aggregate', 'result']) {
      expect(
        await page.locator(`[data-testid="run-view"] [data-testid="node-${id}"]`).getAttribute('data-status'),
      ).toBe('succeeded');
    }
    expect(await page.locator('[data-testid="node-stream-summary"]').textContent()).toContain('Alice leads ProjectX');
    await page.click('[data-testid="tab-runs"]');
    await page.locator('[data-testid="runs-table"] [data-testid^="run-row-"]').first().waitFor();
    expect(realErrors(errors)).toEqual([]);
  });
});
