/**
 * The push channel of both hosts (Electron main and the web host's WebSocket): a frame of the
 * event feed becomes one `events` message per run, each in ascending seq, so a client that keeps
 * the highest seq it applied never skips an event it has not seen.
 */
import type { HostMessage, WireEvent } from '../contract/push.js';
import type { EventFeed } from './event-feed.js';

/** One message per run of the frame (runs in the order they first appear), events by seq. */
export function eventMessages(events: readonly WireEvent[]): HostMessage[] {
  const byRun = new Map<string, WireEvent[]>();
  for (const e of events) {
    const list = byRun.get(e.runId);
    if (list) list.push(e);
    else byRun.set(e.runId, [e]);
  }
  return [...byRun].map(([runId, list]) => ({ kind: 'events', runId, events: list.sort((a, b) => a.seq - b.seq) }));
}

/** The web host's greeting: where the feed stands, so a client knows what it may have missed. */
export const helloMessage = (feed: EventFeed): HostMessage => ({ kind: 'hello', lastEventCursor: feed.position });

/** Sends every frame of the feed as messages, and each change of status it says; returns the unsubscribe function. */
export function pushFeed(feed: EventFeed, send: (msg: HostMessage) => void): () => void {
  const offEvents = feed.subscribe((events) => {
    for (const msg of eventMessages(events)) send(msg);
  });
  const offStatus = feed.subscribeStatus((runId, status) => send({ kind: 'status', runId, status }));
  return () => {
    offEvents();
    offStatus();
  };
}
