/**
 * Preload (sandboxed): the only bridge between the renderer and the main
 * process. Exposes `window.statepipe` with an allowlisted `invoke` and an event
 * subscription; no Electron or Node objects leak into the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, isApiMethod, type StatepipeBridge } from '../contract/methods';
import type { HostMessage } from '../contract/push';

const bridge: StatepipeBridge = {
  invoke(method, input) {
    if (!isApiMethod(method)) {
      return Promise.reject(new Error(`statepipe: unknown API method ${JSON.stringify(method)}`));
    }
    return ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, input) as Promise<unknown>;
  },
  onEvent(callback) {
    if (typeof callback !== 'function') throw new TypeError('statepipe.onEvent needs a function');
    // Main sends only HostMessages on this channel (src/host/push.ts).
    const listener = (_event: IpcRendererEvent, msg: HostMessage): void => callback(msg);
    ipcRenderer.on(IPC_EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, listener);
    };
  },
};

contextBridge.exposeInMainWorld('statepipe', bridge);
