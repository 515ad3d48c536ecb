/**
 * A reader that goes away is not an error of the run: `statepipe run … --jsonl - | head -1`
 * closes stdout after one line. Node then emits EPIPE on the stream, which, unhandled, ends
 * the process with a stack trace and leaves the run `running`. Here a closed stdout or stderr
 * simply stops receiving output; the run goes on to its end and the exit code is the run's.
 */

const GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

const closed = new WeakSet<NodeJS.WriteStream>();

/** From the first EPIPE on, writes to `stream` are dropped (their callbacks still run). */
function guardStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
  stream.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    if (!closed.has(stream)) return write(chunk, encoding, cb);
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as typeof stream.write;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (GONE.has(err.code ?? '')) {
      closed.add(stream);
      return;
    }
    throw err; // anything else stays as loud as it was
  });
}

/** Guards the process's stdout and stderr (the CLI's entry does this once). */
export function guardStdio(): void {
  guardStream(process.stdout);
  guardStream(process.stderr);
}
