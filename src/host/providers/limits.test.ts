import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProviderLimits, RateLimiter, parseLimits, type Permit, type SharedWindow } from './limits.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('RateLimiter', () => {
  it('caps concurrent requests and serves the queue in order', async () => {
    const l = new RateLimiter({ concurrency: 2 });
    const order: number[] = [];
    const permits: Permit[] = [];
    const waits = [0, 1, 2, 3].map((i) =>
      l.acquire(1).then((p) => {
        order.push(i);
        permits.push(p);
      }),
    );
    await Promise.resolve();
    await Promise.resolve();
    expect(l.inFlight).toBe(2);
    expect(l.waiting).toBe(2);
    permits[0]!.done();
    permits[0]!.done(); // a second done is ignored
    await waits[2];
    expect(l.inFlight).toBe(2);
    permits[1]!.done();
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('holds requests to requestsPerMinute over a sliding minute', async () => {
    vi.useFakeTimers();
    const l = new RateLimiter({ requestsPerMinute: 2 });
    const started: number[] = [];
    const t0 = Date.now();
    const all = [0, 1, 2].map(() =>
      l.acquire(1).then((p) => {
        started.push(Date.now() - t0);
        p.done();
      }),
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all(all);
    expect(started[2]).toBeGreaterThanOrEqual(60_000);
  });

  it('holds requests to tokensPerMinute, counting real usage', async () => {
    vi.useFakeTimers();
    const l = new RateLimiter({ tokensPerMinute: 1000 });
    const a = await l.acquire(800);
    a.done(900); // used more than estimated
    let second = false;
    const b = l.acquire(200).then((p) => {
      second = true;
      p.done(200);
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(second).toBe(false);
    await vi.advanceTimersByTimeAsync(31_000);
    await b;
    expect(second).toBe(true);
  });

  it('pauses the queue after a 429 and rejects waiters whose signal aborts', async () => {
    vi.useFakeTimers();
    const l = new RateLimiter({ concurrency: 1 });
    l.pause(1000);
    let got = false;
    const p = l.acquire(1).then((x) => {
      got = true;
      return x;
    });
    await vi.advanceTimersByTimeAsync(900);
    expect(got).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    const permit = await p;
    const ac = new AbortController();
    const waiting = l.acquire(1, ac.signal);
    ac.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(l.waiting).toBe(0);
    permit.done();
  });
});

describe('settings', () => {
  it('reads STATEPIPE_LIMITS, settings win, "*" is the fallback', () => {
    const limits = new ProviderLimits(
      { openai: { concurrency: 3 } },
      {
        STATEPIPE_LIMITS: JSON.stringify({
          openai: { concurrency: 9 },
          anthropic: { requestsPerMinute: 50 },
          '*': { concurrency: 1 },
        }),
      },
    );
    expect(limits.for('openai').limit).toEqual({ concurrency: 3 });
    expect(limits.for('anthropic').limit).toEqual({ requestsPerMinute: 50 });
    expect(limits.for('openai-compatible').limit).toEqual({ concurrency: 1 });
    expect(limits.for('openai')).toBe(limits.for('openai'));
  });

  it('refuses bad settings with a clear message', () => {
    expect(() => parseLimits('{')).toThrow(/STATEPIPE_LIMITS: not JSON/);
    expect(() => parseLimits('{"openai":{"concurrency":-1}}')).toThrow(
      'STATEPIPE_LIMITS.openai.concurrency: must be a positive number',
    );
  });

  it('asks a shared window after its own limits: waits as told, settles real usage, shares 429 pauses', async () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    let room = 0;
    const shared: SharedWindow = {
      acquire: async (tokens) => {
        calls.push(`acquire ${tokens}`);
        return room-- > 0 ? { grant: 'g1', waitMs: 0 } : { waitMs: 500 };
      },
      settle: async (grant, tokens) => void calls.push(`settle ${grant} ${tokens}`),
      pause: async (ms) => void calls.push(`pause ${ms}`),
    };
    const limits = new ProviderLimits({ openai: { requestsPerMinute: 10 }, anthropic: { concurrency: 2 } }, {});
    limits.shareWith(() => shared);
    const l = limits.for('openai');
    let permit: Permit | undefined;
    void l.acquire(7).then((p) => (permit = p));
    await vi.advanceTimersByTimeAsync(100);
    expect(permit).toBeUndefined(); // the window is full elsewhere
    room = 1;
    await vi.advanceTimersByTimeAsync(500);
    expect(permit).toBeDefined();
    permit!.done(12);
    l.pause(2000);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['acquire 7', 'acquire 7', 'settle g1 12', 'pause 2000']);
    // Only concurrency: nothing to share (no round trip per request).
    const calls0 = calls.length;
    (await limits.for('anthropic').acquire(1)).done();
    expect(calls.length).toBe(calls0);
  });
});
