/**
 * The studio connected to another `statepipe serve`, as a person does it: two real servers on
 * two ports (each its own database, with a run started from the CLI), the studio opened from the
 * first; Settings → a server → a wrong token is refused with a message and nothing changes, an
 * unreachable address says so, the right token moves the studio: the header badge names the
 * second server, the runs list is the second's, and the unsaved editor document came along.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../src/cli/cli-test-kit';
import { launchChromium, realErrors, ROOT, typeText, sel } from './harness';

const TEAM_TOKEN = 'team-token-0123456789abcdef';

const graph = (id: string) => ({
  format: 'statepipe.graph',
  version: 1,
  id,
  nodes: [
    { id: 'start', type: 'input', position: { x: 0, y: 100 } },
    { id: 'out', type: 'output', position: { x: 240, y: 100 }, config: { value: `from ${id}` } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'out' }],
});

/** `statepipe serve` as a child process; resolves with its studio URL (the first line it prints). */
function serve(
  db: string,
  extra: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: URL }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/statepipe.js'), 'serve', '--port', '0', '--db', db, ...extra],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += String(d)));
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      const m = /^studio: (\S+)/m.exec(out);
      if (m) resolve({ child, url: new URL(m[1]!) });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** A port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function runIdOf(db: string, id: string, dir: string): Promise<string> {
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify(graph(id)));
  const r = await cli(['run', file, '--db', db, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const m = /run_[0-9A-Z]{26}/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  return m![0];
}

describe('studio connected to another statepipe serve', () => {
  let dir: string;
  let browser: Browser;
  const servers: ChildProcess[] = [];
  let a: URL;
  let b: URL;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'statepipe-remote-'));
    const [dbA, dbB] = [join(dir, 'a.db'), join(dir, 'b.db')];
    runA = await runIdOf(dbA, 'on-a', dir);
    runB = await runIdOf(dbB, 'on-b', dir);
    const first = await serve(dbA, []);
    servers.push(first.child);
    a = first.url;
    // The second server lets the first one's studio in (its origin), with its own token.
    // A team server keeps its token across restarts (STATEPIPE_TOKEN).
    const second = await serve(dbB, ['--allow-origin', a.origin], { STATEPIPE_TOKEN: TEAM_TOKEN });
    servers.push(second.child);
    b = second.url;
    expect(b.searchParams.get('token')).toBe(TEAM_TOKEN);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) s.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const connectTo = async (page: Page, url: string, token: string) => {
    await typeText(page, 'connection-url', url);
    await typeText(page, 'connection-token', token);
    await page.click(sel('connection-connect'));
  };

  it('switches by URL and token, refuses a wrong token, and keeps the unsaved draft', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(a.toString());
    await page.locator(`${sel('connection')}[data-state="open"]`).waitFor({ timeout: 15_000 });
    expect(await page.textContent(sel('connection-target'))).toBe('local');

    // An unsaved document: a node dropped from the palette.
    await page.dragAndDrop(sel('palette-transform'), `${sel('canvas')} .react-flow__pane`, {
      targetPosition: { x: 400, y: 300 },
    });
    await page.locator(sel('node-transform_1')).waitFor();
    await page.locator(sel('dirty')).waitFor();

    // This server's own runs.
    await page.click(sel('tab-runs'));
    await page.locator(sel(`run-row-${runA}`)).waitFor();

    await page.click(sel('tab-settings'));
    await page.click(sel('connection-server'));
    await connectTo(page, b.origin, 'not-the-token');
    const refused = page.locator(sel('connection-error'));
    await refused.waitFor();
    expect(await refused.textContent()).toContain(`${b.host} refused the token`);
    expect(await page.textContent(sel('connection-target'))).toBe('local');

    await connectTo(page, `127.0.0.1:${await closedPort()}`, 'whatever');
    await expect.poll(() => refused.textContent()).toContain('Cannot reach');

    // The line `serve` printed, token and all, pasted as the URL.
    await connectTo(page, b.toString(), '');
    await page.locator(`${sel('connection-target')}:text("server: ${b.host}")`).waitFor({ timeout: 15_000 });
    await page.locator(`${sel('connection')}[data-state="open"]`).waitFor({ timeout: 15_000 });
    // The draft came along.
    await page.locator(sel('dirty')).waitFor();
    await page.click(sel('tab-editor'));
    await page.locator(sel('node-transform_1')).waitFor();

    await page.click(sel('tab-runs'));
    await page.locator(sel(`run-row-${runB}`)).waitFor();
    expect(await page.locator(sel(`run-row-${runA}`)).count()).toBe(0);

    // Persisted: a reload stays on the second server; back to this server from Settings.
    await page.reload();
    expect(await page.locator(sel('connection-target')).textContent()).toBe(`server: ${b.host}`);
    await page.click(sel('tab-settings'));
    await page.click(sel('connection-local'));
    await page.locator(`${sel('connection-target')}:text-is("local")`).waitFor({ timeout: 15_000 });
    await page.click(sel('tab-runs'));
    await page.locator(sel(`run-row-${runA}`)).waitFor();
    expect(realErrors(errors)).toEqual([]);
    await context.close();
  }, 90_000);

  it('the second server refuses a page of an origin it was not told to allow', async () => {
    const r = await fetch(new URL(`/api/openapi.json?token=${b.searchParams.get('token')}`, b), {
      headers: { origin: 'http://127.0.0.1:1' },
    });
    expect(r.status).toBe(200); // a read: the answer goes out, but no CORS header lets a page read it
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const ok = await fetch(new URL(`/api/openapi.json?token=${b.searchParams.get('token')}`, b), {
      headers: { origin: a.origin },
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe(a.origin);
  });

  it('says so when the server it is connected to goes away', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(a.toString());
    await page.click(sel('tab-settings'));
    await page.click(sel('connection-server'));
    await connectTo(page, b.origin, TEAM_TOKEN);
    // The page starts again on the server: wait for its badge, then for its socket.
    await page.locator(`${sel('connection-target')}:text("server: ${b.host}")`).waitFor({ timeout: 15_000 });
    await page.locator(`${sel('connection')}[data-state="open"]`).waitFor({ timeout: 15_000 });
    servers[1]!.kill('SIGKILL');
    const notice = page.locator(sel('toast-error'));
    await notice.waitFor({ timeout: 15_000 });
    expect(await notice.textContent()).toContain(`Cannot reach ${b.host}`);
    expect(await notice.textContent()).toContain('Settings → Connection');
    await context.close();
  }, 60_000);
});
