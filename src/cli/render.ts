/**
 * Terminal rendering: colours (only on a TTY, never with `--no-color` or `NO_COLOR`),
 * and the small formatters every command shares (durations, tokens, money, tables).
 */

export interface Out {
  write(s: string): void;
  readonly isTTY: boolean;
  readonly columns: number;
}

/** Wraps a Node stream (stdout/stderr) as an Out. */
export function streamOut(stream: NodeJS.WriteStream): Out {
  return {
    write: (s) => void stream.write(s),
    get isTTY() {
      return stream.isTTY === true;
    },
    get columns() {
      return stream.columns || 100;
    },
  };
}

let colorDisabledByFlag = false;

/** `--no-color` turns colours off for the whole process. */
export function disableColor(): void {
  colorDisabledByFlag = true;
}

/** Whether text written to `out` may carry ANSI colours. */
export function colorEnabled(out: { isTTY: boolean }): boolean {
  if (colorDisabledByFlag) return false;
  const noColor = process.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return out.isTTY;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;

export type ColorName = keyof typeof CODES;
export type Paint = Record<ColorName, (s: string) => string>;

/** Colour functions for `out`: identity functions when colours are off. */
export function paint(out: { isTTY: boolean }): Paint {
  const on = colorEnabled(out);
  const p = {} as Paint;
  for (const [name, [open, close]] of Object.entries(CODES) as [ColorName, readonly [number, number]][]) {
    p[name] = on ? (s: string) => `\u001b[${open}m${s}\u001b[${close}m` : (s: string) => s;
  }
  return p;
}

/** The colour of a run or node status. */
export function statusColor(status: string): ColorName {
  switch (status) {
    case 'succeeded':
      return 'green';
    case 'failed':
    case 'in-doubt':
    case 'interrupted':
      return 'red';
    case 'cancelled':
    case 'skipped':
      return 'gray';
    case 'waiting':
    case 'paused':
    case 'retrying':
      return 'yellow';
    case 'running':
      return 'cyan';
    default:
      return 'dim';
  }
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*[A-Za-z]/g;
export const stripAnsi = (s: string): string => s.replace(ANSI_RE, '');
export const visibleLength = (s: string): number => stripAnsi(s).length;

/** `812ms`, `1.2s`, `3m 04s`, `1h 02m`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export const formatCost = (usd: number | null | undefined): string => `$${(usd ?? 0).toFixed(4)}`;
export const formatTokens = (n: number | null | undefined): string => `${n ?? 0} tokens`;

/** One line of text: newlines folded, cut to `max` characters. */
export function oneLine(s: string, max = 300): string {
  const flat = s.replace(/\s*\n\s*/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export { errorMessageOf } from '../core/errors.js';

/** A compact JSON preview of a value, for tables. */
export function preview(value: unknown, max = 80): string {
  if (value === undefined) return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return oneLine(s ?? '', max);
}

/** Left-aligned columns; cells may hold ANSI colours. */
export function table(header: string[], rows: string[][], p?: Paint): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (s: string, i: number): string => s + ' '.repeat(Math.max(0, widths[i]! - visibleLength(s)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, i)))
      .join('  ')
      .trimEnd();
  const head = line(header);
  return [p ? p.bold(head) : head, ...rows.map(line)].join('\n') + '\n';
}
