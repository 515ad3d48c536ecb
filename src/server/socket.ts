/**
 * `GET /ws`: the studio's WebSocket (src/renderer/api/client.ts). The host says `hello`, pushes
 * `{ kind: 'events', runId, events }` (src/contract/push.ts; built by host/push.ts), and answers each call
 * `{ id, method, input }` with `{ id, result }` from dispatch(). The token and the Origin were
 * checked by the app's request hook before the upgrade.
 */
import type { WebSocket } from 'ws';
import { dispatch, type DispatchContext } from '../host/dispatch.js';
import type { EventFeed } from '../host/event-feed.js';
import { helloMessage, pushFeed } from '../host/push.js';
import type { ZodApp } from './zod-app.js';

export function socketRoute(app: ZodApp, ctx: DispatchContext, feed: EventFeed): void {
  app.get('/ws', { websocket: true }, (ws) => onSocket(ws, ctx, feed));
}

function onSocket(ws: WebSocket, ctx: DispatchContext, feed: EventFeed): void {
  ws.send(JSON.stringify(helloMessage(feed)));
  const unsubscribe = pushFeed(feed, (msg) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  });
  ws.on('message', async (raw) => {
    let msg: { id?: unknown; method?: unknown; input?: unknown };
    try {
      msg = JSON.parse(String(raw)) as typeof msg;
    } catch {
      return ws.send(
        JSON.stringify({ id: null, result: { ok: false, error: { code: 'bad-request', message: 'not JSON' } } }),
      );
    }
    const result = await dispatch(ctx, msg?.method, msg?.input);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg?.id ?? null, result }));
  });
  ws.on('close', unsubscribe);
  ws.on('error', unsubscribe);
}
