/**
 * The Electron main process's hardening, asserted against a mocked `electron`: the window's
 * webPreferences, window.open denied, navigation and redirects off the app blocked, no
 * <webview>, no permissions, the CSP header, and IPC refused from a frame that is not the app.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../cli-harness.js';

type Fn = (...args: unknown[]) => unknown;

const e = vi.hoisted(() => ({
  appHandlers: new Map<string, (...args: unknown[]) => unknown>(),
  windows: [] as { options: Record<string, unknown>; loaded?: string }[],
  ipc: new Map<string, (...args: unknown[]) => unknown>(),
  headers: undefined as undefined | ((details: unknown, cb: (r: unknown) => void) => void),
  beforeSend: undefined as undefined | ((details: unknown, cb: (r: unknown) => void) => void),
  beforeSendFilter: undefined as undefined | { urls: string[] },
  permissionRequest: undefined as undefined | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
  permissionCheck: undefined as undefined | ((...args: unknown[]) => boolean),
  userData: '',
}));

vi.mock('electron', () => {
  class BrowserWindow {
    static getAllWindows = () => [];
    webContents = { send: () => undefined };
    constructor(options: Record<string, unknown>) {
      e.windows.push({ options });
    }
    once() {}
    on() {}
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    loadURL(url: string) {
      e.windows.at(-1)!.loaded = url;
      return Promise.resolve();
    }
    loadFile(file: string) {
      e.windows.at(-1)!.loaded = file;
      return Promise.resolve();
    }
  }
  const app = {
    requestSingleInstanceLock: () => true,
    on: (name: string, fn: Fn) => e.appHandlers.set(name, fn),
    whenReady: () => Promise.resolve(),
    getVersion: () => '0.0.0-test',
    getPath: () => e.userData,
    quit: vi.fn(),
    exit: vi.fn(),
    name: 'statepipe',
  };
  const session = {
    defaultSession: {
      webRequest: {
        onHeadersReceived: (fn: typeof e.headers) => (e.headers = fn),
        onBeforeSendHeaders: (filter: { urls: string[] }, fn: typeof e.beforeSend) => {
          e.beforeSendFilter = filter;
          e.beforeSend = fn;
        },
      },
      setPermissionRequestHandler: (fn: typeof e.permissionRequest) => (e.permissionRequest = fn),
      setPermissionCheckHandler: (fn: typeof e.permissionCheck) => (e.permissionCheck = fn),
    },
  };
  const ipcMain = { handle: (channel: string, fn: Fn) => e.ipc.set(channel, fn) };
  const Menu = { buildFromTemplate: () => ({}), setApplicationMenu: () => undefined };
  const mod = {
    app,
    BrowserWindow,
    session,
    ipcMain,
    Menu,
    dialog: {},
    shell: {},
    safeStorage: { isEncryptionAvailable: () => false },
  };
  return { ...mod, default: mod };
});

const dir = tempDir();
const savedDb = process.env['STATEPIPE_DB'];

beforeAll(async () => {
  process.env['STATEPIPE_DB'] = path.join(dir, 'electron.db');
  e.userData = dir;
  await import('../../src/main/index.js');
  // whenReady() resolved: the session, the service, IPC and the window are set up.
  for (let i = 0; i < 50 && e.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
});

afterAll(async () => {
  // Quit already (the last test); else now, with nothing driven.
  e.appHandlers.get('will-quit')?.({ preventDefault: () => undefined });
  await new Promise((r) => setTimeout(r, 50));
  if (savedDb === undefined) delete process.env['STATEPIPE_DB'];
  else process.env['STATEPIPE_DB'] = savedDb;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A fake webContents that records the handlers main installs on it. */
function fakeContents() {
  const on = new Map<string, Fn>();
  let openHandler: Fn | undefined;
  return {
    on,
    openHandler: () => openHandler!,
    contents: {
      setWindowOpenHandler: (fn: Fn) => (openHandler = fn),
      on: (name: string, fn: Fn) => on.set(name, fn),
    },
  };
}

const rendererFile = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/renderer/index.html');

describe('Electron main hardening', () => {
  it('the window: context isolation, sandbox, no Node in the page, web security on', () => {
    expect(e.windows).toHaveLength(1);
    const prefs = e.windows[0]!.options['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(String(prefs['preload'])).toMatch(/preload[\\/]index\.cjs$/);
  });

  it('window.open is denied; navigation, redirects and <webview> off the app are blocked', () => {
    const f = fakeContents();
    e.appHandlers.get('web-contents-created')!({}, f.contents);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(f.openHandler()({ url })).toEqual({ action: 'deny' });
    }
    const attempt = (event: string, url: string): boolean => {
      let prevented = false;
      f.on.get(event)!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    for (const event of ['will-navigate', 'will-redirect']) {
      expect(attempt(event, 'https://evil.example/'), event).toBe(true);
      expect(attempt(event, 'file:///etc/passwd'), event).toBe(true);
      expect(attempt(event, pathToFileURL(rendererFile).href), `${event} to the app itself`).toBe(false);
    }
    let prevented = false;
    f.on.get('will-attach-webview')!({ preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
  });

  it('no permission is ever granted, and every response carries the CSP', () => {
    const asked: boolean[] = [];
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal'])
      e.permissionRequest!({}, p, (ok) => asked.push(ok));
    expect(asked).toEqual([false, false, false, false, false]);
    expect(e.permissionCheck!({}, 'media')).toBe(false);
    let headers: Record<string, string[]> = {};
    e.headers!(
      { responseHeaders: { 'X-Other': ['1'] } },
      (r) => (headers = (r as { responseHeaders: Record<string, string[]> }).responseHeaders),
    );
    expect(headers['Content-Security-Policy']?.[0]).toMatch(/default-src 'self'/);
    expect(headers['X-Content-Type-Options']).toEqual(['nosniff']);
    expect(headers['X-Other']).toEqual(['1']);
  });

  it('connected to a statepipe server, the app sends it no Origin (as a tool); its own requests are untouched', () => {
    expect(e.beforeSendFilter?.urls).toEqual(expect.arrayContaining(['http://*/*', 'ws://*/*']));
    const send = (url: string) => {
      let out: Record<string, string> = {};
      e.beforeSend!(
        { url, requestHeaders: { Origin: 'file://', 'User-Agent': 'x' } },
        (r) => (out = (r as { requestHeaders: Record<string, string> }).requestHeaders),
      );
      return out;
    };
    expect(send('ws://10.0.0.5:7777/ws?token=t')).toEqual({ 'User-Agent': 'x' });
    expect(send('http://10.0.0.5:7777/api/openapi.json')).toEqual({ 'User-Agent': 'x' });
    expect(send(pathToFileURL(rendererFile).href)).toEqual({ Origin: 'file://', 'User-Agent': 'x' });
  });

  it('IPC calls from a frame that is not the app are refused before dispatch', async () => {
    expect(e.ipc.size).toBe(1);
    const handler = [...e.ipc.values()][0]!;
    const frame = { url: 'https://evil.example/' };
    const foreign = await handler({ senderFrame: frame, sender: { mainFrame: frame } }, 'app.info', {});
    expect(foreign).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const sub = { url: pathToFileURL(rendererFile).href };
    const subframe = await handler({ senderFrame: sub, sender: { mainFrame: { url: sub.url } } }, 'app.info', {});
    expect(subframe).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const own = { url: pathToFileURL(rendererFile).href };
    const ok = await handler({ senderFrame: own, sender: { mainFrame: own } }, 'app.info', {});
    expect(ok).toMatchObject({ ok: true, value: { host: 'electron' } });
  });

  // Last: the app is quit here.
  it('quitting pauses the runs driven here: a POST in flight finishes, nothing is in doubt, then the app quits', async () => {
    // A real server on 127.0.0.1 that takes 400 ms to answer a POST.
    let posts = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      posts++;
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"placed":true}'), 400);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/orders`;
    const own = { url: pathToFileURL(rendererFile).href };
    const call = ([...e.ipc.values()][0] as Fn).bind(null, { senderFrame: own, sender: { mainFrame: own } });
    const graph = {
      format: 'statepipe.graph',
      version: 1,
      id: 'quit-while-posting',
      nodes: [
        { id: 'order', type: 'http', config: { method: 'POST', url, body: { item: 1 } } },
        { id: 'after', type: 'http', config: { method: 'POST', url, body: { item: 2 } } },
      ],
      edges: [{ id: 'e1', source: 'order', target: 'after' }],
    };
    const started = (await call('runs.start', { graph })) as { ok: boolean; value: { runId: string } };
    expect(started.ok).toBe(true);
    const runId = started.value.runId;
    while (posts === 0) await new Promise((r) => setTimeout(r, 10));

    const event = { preventDefault: vi.fn() };
    e.appHandlers.get('will-quit')!(event);
    expect(event.preventDefault).toHaveBeenCalled(); // the app waits for the run
    const { app } = await import('electron');
    for (let i = 0; i < 300 && vi.mocked(app.quit).mock.calls.length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(app.quit).toHaveBeenCalled();
    server.close();

    // The POST finished and was recorded; the next one never started: paused, nothing in doubt.
    const { StatepipeService } = await import('../../src/host/service.js');
    const svc = await StatepipeService.open({ dbPath: process.env['STATEPIPE_DB']! });
    try {
      const run = await svc.inspect(runId);
      expect(run.status).toBe('paused');
      expect(run.nodes.find((n) => n.nodeId === 'order')).toMatchObject({ status: 'succeeded' });
      expect(run.nodes.find((n) => n.nodeId === 'after')?.status).toBe('queued');
      expect(posts).toBe(1);
    } finally {
      await svc.close();
    }
  });
});
