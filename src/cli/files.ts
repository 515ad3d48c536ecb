/**
 * Reading what the user points at: graph files, `--input JSON|@file`, `--inputs FILE.jsonl`,
 * `--data JSON` (numeric flags: flags.ts). No database is touched here, so a bad argument exits 2
 * before anything is opened or written.
 */
import fs from 'node:fs';
import type { Graph } from '../core/graph/schema.js';
import { validateRunInput } from '../core/graph/validate.js';
import { parseGraphFile } from '../host/graph-file.js';
import { completeGraph, savedGraph, withMissingGraphs } from '../host/graph-library.js';
import type { SqliteStore } from '../host/store/index.js';
import { AppError } from '../core/errors.js';
import { depthMessage, tooDeep } from '../core/json-depth.js';
import { UsageError } from './exit.js';

/** Reads a file the user named; a missing one is `<path>: no such file` (exit 2). */
export function readUserFile(file: string, what = file): string {
  return readUserBytes(file, what).toString('utf8');
}

function readUserBytes(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new UsageError(`${what}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${what}: is a directory, not a file`);
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`${what}: permission denied`);
    throw new UsageError(`${what}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * Reads and validates a graph file, JSON or YAML (docs/graph-format.md "Validation"). Messages name the file
 * (and a YAML file's line). The graphs its subgraph, map and loop nodes name join its library: from
 * files next to it, else saved in the database (opened read-only, and only when one is needed).
 */
export async function loadGraphFile(file: string, dbPath?: string): Promise<Graph> {
  // Bytes: invalid UTF-8 is refused, not replaced.
  const bytes = readUserBytes(file, file);
  let db: SqliteStore | undefined;
  const saved = async (id: string): Promise<Graph | undefined> => {
    if (dbPath === undefined || !fs.existsSync(dbPath)) return undefined;
    // Loaded on first need only: `validate` and `run` of a self-contained graph never load SQLite here.
    // A database this process cannot read (an older schema, opened read-only here) holds no saved
    // graph for it: the graph is reported not found, beside the file's other problems.
    try {
      db ??= (await import('../host/store/index.js')).openDatabase(dbPath, { readonly: true });
    } catch {
      return undefined;
    }
    return savedGraph(db, id).catch(() => undefined);
  };
  try {
    let graph: Graph;
    try {
      graph = parseGraphFile(bytes, file, { missing: 'ignore' });
    } catch (err) {
      throw await withMissingGraphs(err, bytes.toString('utf8'), { file, saved });
    }
    return await completeGraph(graph, { file, saved }, file);
  } finally {
    await db?.close();
  }
}

function jsonError(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^JSON\.parse: /, '');
}

/** Parses a JSON flag value; `@file.json` reads the file. Errors name the flag. */
export function parseJsonArg(value: string, flag: string): unknown {
  let text = value;
  let where = flag;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    if (file === '') throw new UsageError(`${flag}: "@" must be followed by a file name`);
    text = readUserFile(file, `${flag} @${file}`);
    where = `${flag} @${file}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new UsageError(`${where}: not valid JSON: ${jsonError(err)}`);
  }
  return notTooDeep(parsed, where);
}

/** A parsed value nested deeper than the core bound is a usage error naming `where` (exit 2). */
function notTooDeep(value: unknown, where: string): unknown {
  const path = tooDeep(value);
  if (path) throw new UsageError(depthMessage(where, path));
  return value;
}

export interface BatchLine {
  line: number;
  input: unknown;
}

/** Reads a JSONL inputs file: one JSON value per non-blank line; a bad line names its number. */
export function readInputsFile(file: string): BatchLine[] {
  const text = readUserFile(file, file);
  const out: BatchLine[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const s = i === 0 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (s.trim() === '') return;
    try {
      out.push({ line: i + 1, input: JSON.parse(s) });
    } catch (err) {
      throw new UsageError(`${file}:${i + 1}: not valid JSON: ${jsonError(err)}`);
    }
    notTooDeep(out[out.length - 1]!.input, `${file}:${i + 1}`);
  });
  if (out.length === 0) throw new UsageError(`${file}: no inputs (the file has no JSON lines)`);
  return out;
}

/** Validates a run input against the graph's input schema, prefixing messages with `where`. */
export function checkRunInput(graph: Graph, input: unknown, where?: string): void {
  try {
    validateRunInput(graph, input);
  } catch (err) {
    if (where && err instanceof AppError) throw new AppError(err.code, `${where}: ${err.message}`, err.issues);
    throw err;
  }
}
