import { beforeAll, describe, expect, it, vi } from 'vitest';
import { methods } from '../contract/api.js';
import { API_METHODS } from '../contract/methods.js';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'pong' }));
const on = vi.fn();
const removeListener = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: (...a: unknown[]) => invoke(...a),
    on: (...a: unknown[]) => on(...a),
    removeListener: (...a: unknown[]) => removeListener(...a),
  },
}));

beforeAll(async () => {
  await import('./index.js');
});

describe('preload bridge', () => {
  it('exposes one object with nothing but invoke and onEvent', () => {
    expect(Object.keys(exposed)).toEqual(['statepipe']);
    expect(Object.keys(exposed['statepipe'] as object).sort()).toEqual(['invoke', 'onEvent']);
  });

  it('forwards allowlisted methods and refuses unknown ones without calling the main process', async () => {
    const bridge = exposed['statepipe'] as { invoke(m: string, i?: unknown): Promise<unknown> };
    await expect(bridge.invoke('app.info', {})).resolves.toEqual({ ok: true, value: 'pong' });
    expect(invoke).toHaveBeenCalledTimes(1);
    for (const bad of ['fs.readFile', '__proto__', 'constructor', '', 'runs.start ']) {
      await expect(bridge.invoke(bad, {})).rejects.toThrow(/unknown API method/);
    }
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('its allowlist is exactly the contract', () => {
    expect([...API_METHODS].sort()).toEqual(Object.keys(methods).sort());
  });

  it('onEvent subscribes and unsubscribes', () => {
    const bridge = exposed['statepipe'] as { onEvent(cb: (e: unknown) => void): () => void };
    const off = bridge.onEvent(() => undefined);
    expect(on).toHaveBeenCalledTimes(1);
    off();
    expect(removeListener).toHaveBeenCalledTimes(1);
    expect(() => bridge.onEvent('nope' as never)).toThrow(TypeError);
  });
});
