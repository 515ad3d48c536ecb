/**
 * Cross-site request forgery in Chromium: a person opens the studio (its page sets the token
 * cookie), then visits a page served on another port of 127.0.0.1 (the same site, so the
 * cookie goes along). That page tries to start a run through the HTTP API in every way a page
 * may without asking first (a text/plain fetch, a form post) and with a JSON fetch; none may
 * start a run. The studio's own page still starts runs, by the Run button and by fetch.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile, realErrors, startHarness, type Harness } from './harness';

let h: Harness;
let evil: Server;
let evilPort = 0;
const graph = {
  format: 'statepipe.graph',
  version: 1,
  id: 'csrf-target',
  nodes: [
    { id: 'start', type: 'input', position: { x: 0, y: 100 } },
    { id: 'shape', type: 'transform', position: { x: 240, y: 100 }, config: { template: 'forged' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'shape' }],
};

/** The attacker's page: fires every kind of write at the studio, then says it is done. */
function evilPage(studio: string): string {
  const body = JSON.stringify({ graph });
  return `<!doctype html><title>prizes</title>
<form id="f" method="POST" action="${studio}/api/runs" enctype="text/plain" target="sink">
  <input name='${body.slice(0, -1)}, "x": "' value='"}'>
</form>
<form id="g" method="POST" action="${studio}/api/call/runs.start" target="sink2">
  <input name="graph" value='${JSON.stringify(graph)}'>
</form>
<iframe name="sink"></iframe><iframe name="sink2"></iframe>
<script>
  const body = ${JSON.stringify(body)};
  const tries = [
    fetch('${studio}/api/runs', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }),
    fetch('${studio}/api/call/runs.start', { method: 'POST', mode: 'no-cors', credentials: 'include', body }),
    fetch('${studio}/api/runs', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body }),
  ].map((p) => p.then(() => 'sent', () => 'blocked'));
  document.getElementById('f').submit();
  document.getElementById('g').submit();
  Promise.all(tries).then((r) => { setTimeout(() => { document.title = 'done ' + r.join(','); }, 500); });
</script>`;
}

beforeAll(async () => {
  h = await startHarness();
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(evilPage(`http://127.0.0.1:${h.server.port}`));
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
  evilPort = (evil.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => evil?.close(resolve));
  await h?.close();
});

const runCount = async () => (await h.server.service.list({ limit: 1000 })).length;

describe('a page on another port of 127.0.0.1', () => {
  it('cannot start a run with the studio cookie; the studio itself still can', async () => {
    const { page, context, errors } = await h.page(); // the studio, opened with its token: the cookie is set
    expect((await context.cookies()).map((c) => c.name)).toContain('statepipe_token');
    expect(await runCount()).toBe(0);

    const attacker = await context.newPage();
    await attacker.goto(`http://127.0.0.1:${evilPort}/`);
    await attacker.waitForFunction(() => document.title.startsWith('done'), undefined, { timeout: 15_000 });
    await attacker.waitForTimeout(500); // the form posts land in their frames
    expect(await runCount()).toBe(0);
    await attacker.close();

    // The studio's page: the Run button (over its socket) and a same-origin POST (with the cookie).
    const file = join(h.dir, 'csrf-target.json');
    writeFileSync(file, JSON.stringify(graph));
    await importFile(page, file);
    await page.click('[data-testid="run"]');
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor({ timeout: 15_000 });
    const status = await page.evaluate(
      async (body) =>
        (await fetch('/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status,
      JSON.stringify({ graph }),
    );
    expect(status).toBe(201);
    expect(await runCount()).toBe(2);
    expect(realErrors(errors)).toEqual([]);
  });
});
