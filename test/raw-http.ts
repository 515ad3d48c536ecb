/** Raw TCP exchanges with an HTTP server: bytes as written, no client-side URL clean-up. */
import net from 'node:net';

export interface RawAnswer {
  /** The status of the first response line, or undefined when the server closed without one. */
  status?: number;
  text: string;
  /**
   * How the exchange ended: the server answered (a response, then quiet), closed the
   * connection, or neither within the wait (a stalled server).
   */
  ended: 'answered' | 'closed' | 'timeout';
}

/**
 * Writes `bytes` on a fresh connection and collects what comes back. A server that answers
 * and then goes quiet for 300 ms is done; one that says nothing for 1 s gets a half-close
 * (as a client that gave up sending would), then must close within `waitMs`.
 */
export function rawExchange(port: number, bytes: string | Buffer, waitMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (ended: RawAnswer['ended']): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(halfClose);
      clearTimeout(quiet);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ ...(m ? { status: Number(m[1]) } : {}), text, ended });
    };
    const timer = setTimeout(() => finish('timeout'), waitMs);
    const halfClose = setTimeout(() => socket.end(), 1000);
    socket.on('data', (d) => {
      chunks.push(d);
      clearTimeout(halfClose);
      clearTimeout(quiet);
      quiet = setTimeout(() => finish('answered'), 300);
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('connect', () => socket.write(bytes));
  });
}
