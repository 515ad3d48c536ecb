/**
 * The per-start token that guards every request and socket of the web host, and the origin
 * rules: a browser page of another origin (another port of 127.0.0.1 included) can neither
 * open the socket nor write through the HTTP API with the cookie the studio's page was given.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const COOKIE = 'statepipe_token';

export const newToken = (): string => randomBytes(24).toString('base64url');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== COOKIE) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined; // malformed percent-encoding: no token
    }
  }
  return undefined;
}

/**
 * The token a request carries: `?token=`, `Authorization: Bearer` (the scheme in any case,
 * as RFC 9110 says), or the cookie set by the page.
 */
export function tokenOf(headers: IncomingHttpHeaders, queryToken: unknown): string | undefined {
  if (typeof queryToken === 'string' && queryToken !== '') return queryToken;
  const bearer = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '');
  if (bearer) return bearer[1];
  return cookieToken(headers.cookie);
}

export function authorized(headers: IncomingHttpHeaders, queryToken: unknown, token: string): boolean {
  const t = tokenOf(headers, queryToken);
  return t !== undefined && same(t, token);
}

/** This host's own origins (the names a browser may use for 127.0.0.1, and the --host given). */
export function ownOrigins(port: number, host: string): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]', host.includes(':') ? `[${host}]` : host];
  return new Set(names.map((n) => `http://${n}:${port}`));
}

/** Browsers send an Origin on WebSocket upgrades: it must be this host's own. Tools may send none. */
export function originAllowed(headers: IncomingHttpHeaders, own: Set<string>): boolean {
  const origin = headers.origin;
  return origin === undefined || own.has(origin);
}

/**
 * An origin given to `serve --allow-origin`, as browsers send it (`scheme://host[:port]`, no
 * path, no trailing slash), or an error message naming it.
 */
export function parseAllowedOrigin(text: string): { ok: true; origin: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: `--allow-origin ${text}: not an origin (e.g. http://10.0.0.5:7777)` };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, ''))
    return { ok: false, error: `--allow-origin ${text}: give only scheme, host and port (e.g. ${url.origin})` };
  return { ok: true, origin: url.origin };
}

/**
 * A studio page of an origin given to `--allow-origin` (another server's studio connecting here)
 * must show the token itself, in the query or as a bearer: a cookie of this host that a browser
 * sends along to a same-site page is not its to use.
 */
export function explicitToken(headers: IncomingHttpHeaders, queryToken: unknown): boolean {
  return (typeof queryToken === 'string' && queryToken !== '') || /^bearer[ \t]/i.test(headers.authorization ?? '');
}

/**
 * A write (any method but GET/HEAD) a browser sent for a page of another origin: its Origin is
 * not ours, or Sec-Fetch-Site says cross-site or same-site (another port of the same host is
 * same-site, and the cookie goes along). Tools that send neither header are not browsers.
 */
export function foreignWrite(method: string, headers: IncomingHttpHeaders, own: Set<string>): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  return !originAllowed(headers, own);
}
