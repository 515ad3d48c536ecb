/**
 * Which host the studio talks to: the one it came with ("this computer": the desktop app's own
 * engine, or the `statepipe serve` that served the page) or another `statepipe serve` given by
 * URL and token. The choice is kept in localStorage (so it survives a restart) and checked
 * before it is kept: an unreachable server or a refused token is one clear message, not a
 * silent switch to an empty studio.
 */

export const CONNECTION_KEY = 'statepipe.connection';

export interface RemoteServer {
  /** The server's origin, e.g. `http://10.0.0.5:7777`. */
  url: string;
  token: string;
}

/** The remote server chosen in Settings, or null for this computer. */
export function savedConnection(): RemoteServer | null {
  try {
    const v = JSON.parse(localStorage.getItem(CONNECTION_KEY) ?? 'null') as Partial<RemoteServer> | null;
    return v && typeof v.url === 'string' && typeof v.token === 'string' ? { url: v.url, token: v.token } : null;
  } catch {
    return null; // unreadable: this computer
  }
}

export function saveConnection(remote: RemoteServer | null): void {
  if (remote) localStorage.setItem(CONNECTION_KEY, JSON.stringify(remote));
  else localStorage.removeItem(CONNECTION_KEY);
}

/** What the header badge says: `local`, or `server: host:port`. */
export function connectionLabel(remote: RemoteServer | null): string {
  return remote ? `server: ${new URL(remote.url).host}` : 'local';
}

/**
 * What a person typed as a server, as an origin: `host:port` or a URL such as the line
 * `statepipe serve` prints (`http://127.0.0.1:7777/?token=…`, whose token is taken when the
 * token field is empty). An error message when it is not a server address.
 */
export function parseServer(
  typed: string,
  typedToken: string,
): { ok: true; server: RemoteServer } | { ok: false; error: string } {
  const text = typed.trim();
  if (text === '') return { ok: false, error: 'Type the server address, e.g. http://10.0.0.5:7777' };
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    return { ok: false, error: `"${text}" is not a server address (e.g. http://10.0.0.5:7777)` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, error: `"${text}": the address must start with http:// or https://` };
  const token = typedToken.trim() || url.searchParams.get('token') || '';
  if (token === '') return { ok: false, error: 'Type the token the server printed (the part after ?token=)' };
  return { ok: true, server: { url: url.origin, token } };
}

/** The socket address of a server (the token in the query: browsers cannot set headers on a WebSocket). */
export function socketUrl(origin: string, token: string): string {
  const u = new URL('/ws', origin);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('token', token);
  return u.toString();
}

/**
 * Checks that `server` answers and takes the token, by opening its socket and asking `app.info`.
 * Resolves to null when it does, else to the message to show. A browser page cannot tell a
 * refused token from a refused origin on a socket, so it asks the HTTP API first (CORS lets it
 * read the 401 only when the server allows this page's origin).
 */
export async function checkServer(server: RemoteServer, pageOrigin: string | null): Promise<string | null> {
  const where = new URL(server.url).host;
  const info = new URL('/api/openapi.json', server.url);
  try {
    await fetch(info, { mode: 'no-cors', cache: 'no-store' });
  } catch {
    return `Cannot reach ${where}: is statepipe serve running there, and is the address right?`;
  }
  if (pageOrigin !== null) {
    info.searchParams.set('token', server.token);
    try {
      const r = await fetch(info, { cache: 'no-store' });
      if (r.status === 401) return `${where} refused the token: copy it again from the line statepipe serve printed`;
    } catch {
      return (
        `${where} does not allow studios from ${pageOrigin}: ` +
        `start it with --allow-origin ${pageOrigin}, or open its own studio`
      );
    }
  }
  return new Promise((resolve) => {
    const ws = new WebSocket(socketUrl(server.url, server.token));
    const timer = setTimeout(() => finish(`${where} did not answer within 10 s`), 10_000);
    const finish = (result: string | null) => {
      clearTimeout(timer);
      ws.onclose = null;
      ws.close();
      resolve(result);
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { kind?: string };
      if (msg.kind === 'hello') finish(null);
    };
    ws.onclose = () => finish(`${where} refused the token: copy it again from the line statepipe serve printed`);
  });
}
