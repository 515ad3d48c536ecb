/**
 * The studio's Content-Security-Policy. Sent as a response header by the
 * Electron main process (and usable by the web host), and mirrored by the
 * <meta http-equiv> tag in src/renderer/index.html.
 *
 * - no inline or remote script, no eval
 * - inline styles are allowed (Monaco and React Flow inject <style> tags)
 * - workers from 'self' or blob: (Monaco's editor workers)
 * - network to the page's own origin, and over http(s)/ws(s) to another `statepipe serve` the
 *   person chose in Settings → Connection (its address is typed at run time, so it cannot be
 *   listed here; no script but the studio's own runs, so only the studio connects)
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' http: https: ws: wss:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
