/**
 * Electron main process: owns the window, the engine and the database; the
 * renderer reaches them only through the preload bridge (see src/preload).
 */
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, isApiMethod, type ApiMethod } from '../contract/methods';
import { CONTENT_SECURITY_POLICY } from '../contract/csp';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Set by `electron-vite dev`; absent in a built app. */
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererFile = path.join(here, '../renderer/index.html');
const preloadFile = path.join(here, '../preload/index.cjs');

let mainWindow: BrowserWindow | null = null;

/** Handlers for the API methods (the lead wires the app service in here). */
type Handler = (input: unknown) => unknown | Promise<unknown>;
const handlers: Record<ApiMethod, Handler> = {
  ping: () => ({ pong: true, version: app.getVersion() }),
};

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
export function broadcast(payload: unknown): void {
  for (const win of BrowserWindow.getAllWindows()) {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, payload);
  }
}

function registerIpc(): void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, method: unknown, input: unknown) => {
    if (!isTrustedSender(event)) throw new Error('statepipe: call from an untrusted frame refused');
    if (!isApiMethod(method)) throw new Error(`statepipe: unknown API method ${JSON.stringify(method)}`);
    return handlers[method](input);
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
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app
    .whenReady()
    .then(() => {
      hardenSession();
      registerIpc();
      mainWindow = createWindow();
    })
    .catch((error: unknown) => {
      console.error('statepipe: could not start the studio:', error);
      app.exit(1);
    });
}
