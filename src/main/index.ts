/**
 * Electron main process: owns the window, the engine and the database; the
 * renderer reaches them only through the preload bridge (see src/preload).
 */
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../contract/methods';
import { CONTENT_SECURITY_POLICY } from '../contract/csp';
import { dispatch, type DispatchContext } from '../host/dispatch';
import { resolveNativeBinding } from '../host/native';
import { osUser } from '../host/os-user';
import { stopDriving } from '../host/orderly-stop';
import { StatepipeService } from '../host/service';
import { defaultDbPath } from '../host/store/index';
import { EventFeed } from '../host/event-feed';
import { pushFeed } from '../host/push';
import type { HostMessage } from '../contract/push';
import { openCredentialStore } from './credentials';
import { installMenu } from './menu';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Set by `electron-vite dev`; absent in a built app. */
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererFile = path.join(here, '../renderer/index.html');
const preloadFile = path.join(here, '../preload/index.cjs');

let mainWindow: BrowserWindow | null = null;

/** How long the runs driven here may finish their running nodes when the app quits. */
const QUIT_GRACE_MS = 10_000;

let service: StatepipeService | null = null;
let feed: EventFeed | null = null;
let ctx: DispatchContext | null = null;

/** The engine and the database live here, on the main side; the same per-user file as the CLI. */
async function startService(): Promise<void> {
  const root = path.join(here, '..', '..');
  const nativeBinding = resolveNativeBinding(root);
  // Provider keys typed into the app are kept encrypted with the OS keychain (safeStorage).
  const credentials = openCredentialStore(app.getPath('userData'));
  const svc = await StatepipeService.open({
    dbPath: defaultDbPath(),
    providers: { credentials },
    ...(nativeBinding ? { nativeBinding } : {}),
  });
  service = svc;
  // Runs whose process died show as interrupted and can be resumed from the studio.
  await svc.recoverInterrupted();
  svc.watchForDeadRuns();
  // The studio's approve button names nobody: the person at this desktop decides.
  const approver = osUser();
  ctx = {
    service: svc,
    host: 'electron',
    version: app.getVersion(),
    onBackgroundError: (err) => console.error('statepipe:', err),
    ...(approver ? { approver } : {}),
  };
  const events = await EventFeed.open(svc.store);
  feed = events;
  pushFeed(events, broadcast);
  events.start();
}

/** Is this URL the studio itself (the built file or the dev server)? */
function isAppUrl(url: string): boolean {
  try {
    const target = new URL(url);
    if (devServerUrl) return target.origin === new URL(devServerUrl).origin;
    return target.protocol === 'file:' && target.pathname === pathToFileURL(rendererFile).pathname;
  } catch {
    return false;
  }
}

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame === event.sender.mainFrame && isAppUrl(frame.url);
}

/** Push a host event to every window (token events are coalesced upstream). */
export function broadcast(payload: HostMessage): void {
  for (const win of BrowserWindow.getAllWindows()) {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, payload);
  }
}

function registerIpc(): void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, method: unknown, input: unknown) => {
    if (!isTrustedSender(event))
      return { ok: false, error: { code: 'unauthorized', message: 'call from an untrusted frame refused' } };
    if (!ctx) return { ok: false, error: { code: 'database', message: 'the database is not open' } };
    // dispatch() checks the method against the contract and validates the input.
    return dispatch(ctx, method, input);
  });
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
  // Connected to a `statepipe serve` (Settings → Connection), the studio is a client holding that
  // server's token, not a page of a foreign site: it sends no Origin there, as the CLI does, so the
  // server's origin rule (which guards browsers) does not apply to it.
  ses.webRequest.onBeforeSendHeaders(
    { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] },
    (details, callback) => {
      if (isAppUrl(details.url)) return callback({ requestHeaders: details.requestHeaders });
      const requestHeaders = Object.fromEntries(
        Object.entries(details.requestHeaders).filter(([k]) => k.toLowerCase() !== 'origin'),
      );
      callback({ requestHeaders });
    },
  );
  // The studio needs no camera, microphone, notifications, geolocation, ...
  ses.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

function hardenWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'statepipe',
    show: false,
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererFile);
  return win;
}

function focusMainWindow(): void {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', focusMainWindow);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Quitting pauses the runs driven here: their running nodes finish (at most 10 s), so nothing is
  // left in doubt; the app then quits for good.
  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped || !service) return;
    event.preventDefault();
    stopped = true;
    feed?.stop();
    const svc = service;
    stopDriving(svc, QUIT_GRACE_MS)
      .then((report) => {
        if (report.left.length > 0)
          console.error('statepipe: stopped with nodes still running:', report.left.join(' '));
      })
      .catch((err: unknown) => console.error('statepipe:', err))
      .finally(() => void svc.close().finally(() => app.quit()));
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app
    .whenReady()
    .then(async () => {
      hardenSession();
      await startService();
      registerIpc();
      installMenu((command) => broadcast({ kind: 'menu', command }));
      mainWindow = createWindow();
    })
    .catch((error: unknown) => {
      console.error('statepipe: could not start the studio:', error);
      app.exit(1);
    });
}
