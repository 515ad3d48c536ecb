/**
 * PostgreSQL connection URLs: telling one from a file path, the connection settings `pg` gets
 * from it (libpq's meaning of `sslmode`; PGHOST, PGUSER, PGPASSWORD, … fill what the URL leaves
 * out, as `pg` reads them), and the rule that a password is never shown: every URL a person
 * may see is redacted (`postgres://ann:***@db/statepipe`) and every message is scrubbed of it.
 */
import { parse, toClientConfig } from 'pg-connection-string';
import type { ClientConfig } from 'pg';
import { AppError } from '../../../core/errors.js';

const MASK = '***';

/** The URL without its password (in the user part or a `password=` parameter). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = MASK;
    for (const key of [...u.searchParams.keys()]) if (key.toLowerCase() === 'password') u.searchParams.set(key, MASK);
    // URL encodes the mask's asterisks in the query; show them as typed.
    return u.toString().replace(/%2A%2A%2A/gi, MASK);
  } catch {
    // Not parseable as a URL: mask `user:secret@` and `password=secret` textually.
    return url.replace(/(\/\/[^/:@]*:)[^@/]*@/, `$1${MASK}@`).replace(/(password=)[^&]*/gi, `$1${MASK}`);
  }
}

/** The passwords a message could contain: the URL's, and PGPASSWORD's. */
export function secretsOf(url: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  try {
    const u = new URL(url);
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
    for (const [k, v] of u.searchParams) if (k.toLowerCase() === 'password' && v) out.push(v);
  } catch {
    /* redactUrl masks it textually */
  }
  if (env['PGPASSWORD']) out.push(env['PGPASSWORD']);
  return [...new Set(out.filter((s) => s.length > 0))];
}

/** `text` with every known password replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(MASK);
  return out;
}

/** A URL part decoded, or as written when its percent-encoding is broken (then no mode matches). */
function decodedOr(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** libpq's sslmode values (and pg's `no-verify`). */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/**
 * The connection settings for `pg` (never the URL string itself, which would keep the password in
 * an enumerable property). `sslmode` has libpq's meaning: `require` encrypts without checking the
 * certificate, `verify-ca`/`verify-full` check it. What the URL leaves out `pg` takes from the
 * libpq environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE).
 */
export function connectionConfig(url: string): ClientConfig {
  // An unknown sslmode is not silently read as another (pg treats it as "use SSL").
  const mode = /[?&]sslmode=([^&#]*)/i.exec(url)?.[1];
  const sslmode = mode === undefined ? undefined : decodedOr(mode);
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode))
    throw new AppError(
      'usage',
      `not a valid PostgreSQL URL: ${redactUrl(url)} (sslmode "${sslmode}" is not one of ${SSL_MODES.join(', ')})`,
    );
  let parsed: ReturnType<typeof parse>;
  try {
    const libpq = /[?&]uselibpqcompat=/i.test(url) ? {} : { useLibpqCompat: true };
    parsed = parse(url.trim(), libpq);
  } catch (err) {
    throw new AppError(
      'usage',
      `not a valid PostgreSQL URL: ${redactUrl(url)} (${scrub(err instanceof Error ? err.message : String(err), secretsOf(url))})`,
    );
  }
  const config = toClientConfig(parsed) as ClientConfig & Record<string, unknown>;
  // Empty parts of the URL mean "not given": let pg fall back to the environment and its defaults.
  for (const key of ['host', 'user', 'password', 'database'] as const) if (config[key] === '') delete config[key];
  return config;
}
