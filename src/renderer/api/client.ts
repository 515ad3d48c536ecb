/**
 * The renderer's one way to its host: the Electron preload bridge when present, else the
 * web host's WebSocket (same origin, guarded by the token the page was opened with), or, when
 * Settings chose another `statepipe serve` (connection.ts), that server's WebSocket from either.
 * Calls are typed by the contract; pushed events arrive per run, coalesced per frame.
 */
import { savedConnection, socketUrl, type RemoteServer } from './connection';
import type { ApiError, ApiMethodName, ApiResult, MethodInput, MethodOutput } from '../../contract/api';
import type { StatepipeBridge } from '../../contract/methods';
import type { HostMessage, MenuCommand, WireEvent } from '../../contract/push';
import type { RunStatus } from '../../core/ports';

export type { WireEvent };

export class ApiCallError extends Error {
  readonly code: ApiError['code'];
  readonly issues: ApiError['issues'];
  constructor(e: ApiError) {
    super(e.message);
    this.name = 'ApiCallError';
    this.code = e.code;
    this.issues = e.issues;
  }
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface HostClient {
  call<M extends ApiMethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  /** Every pushed batch of events; returns an unsubscribe function. */
  onEvents(fn: (runId: string, events: WireEvent[]) => void): () => void;
  /** A run's status changed without an event (handed back to the workers, taken by one). */
  onStatus(fn: (runId: string, status: RunStatus) => void): () => void;
  /** Menu commands (desktop app). */
  onMenu(fn: (command: MenuCommand) => void): () => void;
  onConnection(fn: (state: ConnectionState) => void): () => void;
  readonly host: 'electron' | 'web';
  /** The other server this studio is connected to, or null for its own host. */
  readonly remote: RemoteServer | null;
}

class Listeners {
  readonly events = new Set<(runId: string, events: WireEvent[]) => void>();
  readonly status = new Set<(runId: string, status: RunStatus) => void>();
  readonly menu = new Set<(command: MenuCommand) => void>();
  readonly connection = new Set<(state: ConnectionState) => void>();
  push(msg: HostMessage): void {
    if (msg.kind === 'events') for (const fn of this.events) fn(msg.runId, msg.events);
    else if (msg.kind === 'status') for (const fn of this.status) fn(msg.runId, msg.status);
    else if (msg.kind === 'menu') for (const fn of this.menu) fn(msg.command);
  }
}

function unwrap<T>(r: ApiResult<T>): T {
  if (r.ok) return r.value;
  throw new ApiCallError(r.error);
}

const add = <T>(set: Set<T>, fn: T) => {
  set.add(fn);
  return () => void set.delete(fn);
};

function electronClient(bridge: StatepipeBridge): HostClient {
  const l = new Listeners();
  bridge.onEvent((msg) => l.push(msg));
  return {
    host: 'electron',
    remote: null,
    async call(method, input) {
      return unwrap((await bridge.invoke(method, input)) as ApiResult<never>);
    },
    onEvents: (fn) => add(l.events, fn),
    onStatus: (fn) => add(l.status, fn),
    onMenu: (fn) => add(l.menu, fn),
    onConnection: (fn) => {
      fn('open');
      return add(l.connection, fn);
    },
  };
}

/**
 * The WebSocket client: reconnects with backoff; calls made while down wait for the socket.
 * In the desktop app connected to a server, menu commands still come from the bridge.
 */
function webClient(address: string, remote: RemoteServer | null, bridge?: StatepipeBridge): HostClient {
  const l = new Listeners();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const queue: string[] = [];
  let nextId = 1;
  let ws: WebSocket | undefined;
  let state: ConnectionState = 'connecting';
  let retry = 250;
  const setState = (s: ConnectionState) => {
    state = s;
    for (const fn of l.connection) fn(s);
  };
  const connect = () => {
    ws = new WebSocket(address);
    setState('connecting');
    ws.onopen = () => {
      retry = 250;
      setState('open');
      while (queue.length) ws!.send(queue.shift()!);
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as HostMessage | { id: number; result: ApiResult<unknown> };
      if ('id' in msg) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) return;
        if (msg.result.ok) p.resolve(msg.result.value);
        else p.reject(new ApiCallError(msg.result.error));
      } else l.push(msg);
    };
    ws.onclose = () => {
      setState('closed');
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };
  connect();
  bridge?.onEvent((payload) => {
    if (payload.kind === 'menu') l.push(payload);
  });
  return {
    host: bridge ? 'electron' : 'web',
    remote,
    call(method, input) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        const text = JSON.stringify({ id, method, input });
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
        else queue.push(text);
      });
    },
    onEvents: (fn) => add(l.events, fn),
    onStatus: (fn) => add(l.status, fn),
    onMenu: (fn) => add(l.menu, fn),
    onConnection: (fn) => {
      fn(state);
      return add(l.connection, fn);
    },
  };
}

let client: HostClient | undefined;

/** The client of this page (created once). The web token is taken from the URL and then hidden. */
export function hostClient(): HostClient {
  if (client) return client;
  const bridge = (window as unknown as { statepipe?: StatepipeBridge }).statepipe;
  const token = bridge ? '' : pageToken();
  const remote = savedConnection();
  if (remote) return (client = webClient(socketUrl(remote.url, remote.token), remote, bridge));
  if (bridge) return (client = electronClient(bridge));
  return (client = webClient(socketUrl(location.origin, token), null));
}

/** The token the web host gave this page (kept for reloads, and taken out of the address bar). */
function pageToken(): string {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? sessionStorage.getItem('statepipe-token') ?? '';
  sessionStorage.setItem('statepipe-token', token);
  if (params.has('token')) {
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  }
  return token;
}

/** `events` sorted by seq (the same array when it already is). */
export function inSeqOrder<E extends { seq: number }>(events: readonly E[]): readonly E[] {
  for (let i = 1; i < events.length; i++)
    if (events[i]!.seq < events[i - 1]!.seq) return [...events].sort((a, b) => a.seq - b.seq);
  return events;
}

/**
 * Follows one run: its events from the log (catch-up from a seq), then live pushes, with no gap
 * and no duplicate across reconnects. `onEvents` gets events in seq order.
 */
export function followRun(
  c: HostClient,
  runId: string,
  onEvents: (events: WireEvent[]) => void,
  afterSeq = 0,
): () => void {
  let last = afterSeq;
  let buffered: WireEvent[] | null = [];
  let stopped = false;
  const deliver = (events: WireEvent[]) => {
    // In seq order whatever the channel did: the fold skips what is below the highest seq it applied.
    const fresh = inSeqOrder(events).filter((e) => e.seq > last);
    if (fresh.length === 0) return;
    last = fresh[fresh.length - 1]!.seq;
    onEvents(fresh);
  };
  const catchUp = async () => {
    buffered = buffered ?? [];
    const { events } = await c.call('runs.events', { runId, afterSeq: last });
    if (stopped) return;
    deliver(events as WireEvent[]);
    const held = buffered;
    buffered = null;
    deliver(held);
  };
  const offEvents = c.onEvents((id, events) => {
    if (id !== runId) return;
    if (buffered) buffered.push(...events);
    else deliver(events);
  });
  const offConn = c.onConnection((s) => {
    if (s === 'open') void catchUp();
  });
  return () => {
    stopped = true;
    offEvents();
    offConn();
  };
}
