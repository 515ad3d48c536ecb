/**
 * The API methods the renderer may call on its host (Electron main or the web
 * host behind `statepipe serve`). The preload script only forwards methods in
 * this list: exactly the methods of the contract (api.ts).
 */
import { API_METHOD_NAMES, type ApiMethodName } from './method-names';
import type { HostMessage } from './push';

export const API_METHODS: readonly ApiMethodName[] = API_METHOD_NAMES;

export type ApiMethod = ApiMethodName;

/** IPC channel names shared by main and preload. */
export const IPC_INVOKE_CHANNEL = 'statepipe:invoke';
export const IPC_EVENT_CHANNEL = 'statepipe:event';

export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && (API_METHODS as readonly string[]).includes(value);
}

/** What the preload exposes on `window.statepipe`. */
export interface StatepipeBridge {
  invoke(method: ApiMethod, input?: unknown): Promise<unknown>;
  /** Subscribe to what the host pushes; returns an unsubscribe function. */
  onEvent(callback: (msg: HostMessage) => void): () => void;
}
