/**
 * What the main thread and the store's writer thread (writer-thread.ts) say to each other: the
 * writes the engine waits on, and their answers, errors included (rebuilt as the same classes, so
 * `instanceof AppError` and its `code` read on the main thread as if the write had run there).
 */
import { AppError, KeyTakenError, type AppErrorCode, type ValidationIssue } from '../../../core/errors.js';
import type { NewEvent } from '../../../core/events.js';
import type { Fence, Lease, LeaseOwner, NewRun } from '../../../core/ports.js';

/** The writes that go to the writer thread: those the engine makes at every transition. */
export type WriteOp =
  | { op: 'append'; runId: string; events: NewEvent[]; fence: Fence }
  | { op: 'createRun'; run: NewRun; owner?: LeaseOwner }
  | { op: 'acquireLease'; runId: string; owner: LeaseOwner }
  | { op: 'releaseLease'; runId: string; lease: Lease };

export interface WriteRequest {
  id: number;
  write: WriteOp;
}

/** An error as it crosses between threads. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  issues?: ValidationIssue[];
  key?: string;
  runId?: string;
  requestHash?: string;
}

export type WriterMessage =
  | { ready: true }
  /** The thread could not open the database: nothing was written. */
  | { failed: WireError }
  | { id: number; ok: unknown }
  | { id: number; err: WireError };

export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out: WireError = { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  if (err instanceof AppError) {
    out.code = err.code;
    if (err.issues) out.issues = err.issues;
  }
  if (err instanceof KeyTakenError) {
    out.key = err.key;
    out.runId = err.runId;
    if (err.requestHash !== undefined) out.requestHash = err.requestHash;
  }
  return out;
}

export function fromWire(w: WireError): Error {
  let err: Error;
  if (w.name === 'KeyTakenError' && w.key !== undefined && w.runId !== undefined)
    err = new KeyTakenError(w.key, w.runId, w.requestHash);
  else if (w.code !== undefined) err = new AppError(w.code as AppErrorCode, w.message, w.issues);
  else {
    err = new Error(w.message);
    err.name = w.name;
  }
  if (w.stack) err.stack = w.stack;
  return err;
}
