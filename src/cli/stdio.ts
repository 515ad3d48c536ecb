/**
 * The CLI's stdout and stderr, guarded and flushed.
 *
 * A reader that goes away is not an error of a run: `statepipe run … --jsonl - | head -1` closes
 * stdout after one line. Node then emits EPIPE on the stream, which, unhandled, ends the process
 * with a stack trace and leaves the run `running`. Here a stream that failed simply stops
 * receiving output; the run goes on to its end.
 *
 * Output is asynchronous on a pipe: `export RUN | slow-reader` may still hold megabytes in the
 * stream's buffer when the command returns. The process must not exit before that is handed to
 * the OS (`flushed()`), and a command whose stdout is its product (export, inspect, list, …)
 * must not exit 0 when stdout could not be written (`stdoutFailure()`).
 */

const failures = new Map<NodeJS.WriteStream, NodeJS.ErrnoException>();

/** From the first error on, writes to `stream` are dropped (their callbacks still run). */
function guardStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
  stream.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    if (!failures.has(stream)) return write(chunk, encoding, cb);
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as typeof stream.write;
  // EPIPE (the reader left), EIO, ENOSPC (stdout redirected to a full disk), …: recorded, reported
  // once at exit by the entry (main.ts), never thrown from inside a run.
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (!failures.has(stream)) failures.set(stream, err);
  });
}

/** Guards the process's stdout and stderr (the CLI's entry does this once). */
export function guardStdio(): void {
  guardStream(process.stdout);
  guardStream(process.stderr);
}

/** The error that stopped stdout, if any. */
export function stdoutFailure(): NodeJS.ErrnoException | undefined {
  return failures.get(process.stdout);
}

/** Resolves once everything written to `stream` so far was handed to the OS, or the stream failed. */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (failures.has(stream) || stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('error', done);
      resolve();
    };
    stream.once('error', done);
    // Writes complete in order: the callback of an empty write runs after every earlier one.
    stream.write('', done);
  });
}
