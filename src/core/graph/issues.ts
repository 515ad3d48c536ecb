/**
 * How graph validation words and throws its issues: paths in a person's notation (`nodes[id].config.key`),
 * zod's and ajv's messages reworded, and one AppError('validation') naming the first issue and
 * holding them all.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { AppError, type ValidationIssue } from '../errors.js';
import { depthPath, MAX_JSON_DEPTH, tooDeep } from '../json-depth.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `.key`, or `["odd key"]` when the key is not an identifier. */
export const keySeg = (k: string | number): string =>
  typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;

export function fail(all: ValidationIssue[], source?: string): never {
  const seen = new Set<string>();
  const issues = all.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const first = issues[0]!;
  const where = [source, first.path].filter(Boolean).join(': ');
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  throw new AppError('validation', `${where ? `${where}: ` : ''}${first.message}${more}`, issues);
}

function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => keySeg(/^\d+$/.test(s) ? Number(s) : s))
    .join('');
}

export function ajvIssue(e: ErrorObject, root: string): ValidationIssue {
  let message = e.message ?? 'is invalid';
  const p = e.params as Obj;
  if (typeof p['additionalProperty'] === 'string') message += ` ("${p['additionalProperty']}")`;
  if (Array.isArray(p['allowedValues'])) message += `: ${p['allowedValues'].map((v) => JSON.stringify(v)).join(', ')}`;
  return { path: root + pointerToPath(e.instancePath), message };
}

/** Refuses a value nested deeper than MAX_JSON_DEPTH before any recursive check walks it. */
export function refuseTooDeep(value: unknown, root: string, source?: string): void {
  const path = tooDeep(value);
  if (!path) return;
  const where = [root, depthPath(path)].filter(Boolean).join(root && typeof path[0] !== 'number' ? '.' : '');
  fail([{ path: where, message: `nested more than ${MAX_JSON_DEPTH} levels deep` }], source);
}

interface ZodIssueLike {
  message: string;
  code?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
}

/** A zod issue in a person's words: "must not be empty", not "Too small: expected string to have >=1 characters". */
export function zodMessage(issue: ZodIssueLike): string {
  if (/received undefined$/.test(issue.message)) return 'is required';
  const { code, origin } = issue;
  const bound = code === 'too_small' ? issue.minimum : code === 'too_big' ? issue.maximum : undefined;
  if (bound !== undefined && (origin === 'string' || origin === 'array' || origin === 'number')) {
    const n = Number(bound);
    if (code === 'too_small' && n === 1 && origin !== 'number') return 'must not be empty';
    const cmp =
      code === 'too_small'
        ? issue.inclusive === false
          ? 'more than'
          : 'at least'
        : issue.inclusive === false
          ? 'less than'
          : 'at most';
    if (origin === 'number') return `must be ${cmp} ${n}`;
    return `must have ${cmp} ${n} ${origin === 'string' ? 'character' : 'item'}${n === 1 ? '' : 's'}`;
  }
  return issue.message.replace(/^Invalid (input|option): /, '');
}
