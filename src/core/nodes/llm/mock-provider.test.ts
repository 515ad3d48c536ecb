import { describe, expect, it } from 'vitest';
import { NodeFailure } from '../../errors.js';
import type { Clock, ModelRequest } from '../../ports.js';
import { countTokens, mockProvider, mockScriptStep, replyText, splitTokens } from './mock-provider.js';

/** A clock whose sleeps take `late` times as long as asked (a busy event loop fires timers late). */
function fakeClock(late = 1): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  let t = 0;
  return {
    sleeps,
    now: () => t,
    timer: () => () => undefined,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      t += ms * late;
    },
  };
}

function request(prompt: string, extra: Partial<ModelRequest> = {}): ModelRequest & { tokens: string[] } {
  const tokens: string[] = [];
  return {
    model: 'mock-1',
    messages: [{ role: 'user', content: prompt }],
    signal: new AbortController().signal,
    onToken: (t) => tokens.push(t),
    tokens,
    ...extra,
  };
}

describe('splitTokens', () => {
  it('keeps whitespace so the pieces join back to the text', () => {
    for (const text of ['a b  c', '  leading and trailing  ', 'one', 'line\nbreak\ttab', '', '   ']) {
      expect(splitTokens(text).join('')).toBe(text);
    }
    expect(splitTokens('a b  c')).toEqual(['a ', 'b  ', 'c']);
    expect(countTokens('  a b\nc ')).toBe(3);
  });

  it('renders non-string replies as their JSON text', () => {
    expect(replyText('hi')).toBe('hi');
    expect(replyText({ risk: 'high' })).toBe('{"risk":"high"}');
    expect(replyText(42)).toBe('42');
  });
});

describe('mockProvider', () => {
  it('streams the reply piece by piece through the clock and counts usage', async () => {
    const clock = fakeClock();
    const req = request('Sentiment of: great product');
    const reply = await mockProvider({ reply: 'it is very positive', tokensPerSecond: 50 }, 1, { clock }).generate(req);
    expect(req.tokens).toEqual(['it ', 'is ', 'very ', 'positive']);
    expect(req.tokens.join('')).toBe(reply.text);
    expect(reply.text).toBe('it is very positive');
    expect(reply.usage).toEqual({ inputTokens: 4, outputTokens: 4 });
    expect(reply.costUsd).toBe(0);
    expect(reply.model).toBe('mock-1');
    expect(clock.sleeps).toEqual([20, 20, 20, 20]);
  });

  it('defaults to 200 tokens per second, and 0 means no delay', async () => {
    const clock = fakeClock();
    await mockProvider({ reply: 'a b' }, 1, { clock }).generate(request('p'));
    expect(clock.sleeps).toEqual([5, 5]);
    const clock0 = fakeClock();
    await mockProvider({ reply: 'a b', tokensPerSecond: 0 }, 1, { clock: clock0 }).generate(request('p'));
    expect(clock0.sleeps).toEqual([]);
  });

  it('keeps its nominal rate when timers fire late: the tokens that came due meanwhile go at once', async () => {
    const clock = fakeClock(3);
    const req = request('p');
    await mockProvider({ reply: 'a b c d e f g h i', tokensPerSecond: 100 }, 1, { clock }).generate(req);
    expect(req.tokens.join('')).toBe('a b c d e f g h i');
    // Due at 10, 20, …, 90 ms: sleeps of 10 ms that take 30 ms each leave two tokens due per wake.
    expect(clock.sleeps).toEqual([10, 10, 10]);
    expect(clock.now()).toBe(90);
  });

  it('uses the given usage', async () => {
    const reply = await mockProvider(
      { reply: 'x y', tokensPerSecond: 0, usage: { inputTokens: 100, outputTokens: 7 } },
      1,
    ).generate(request('p'));
    expect(reply.usage).toEqual({ inputTokens: 100, outputTokens: 7 });
  });

  it('fails the first failTimes attempts with a retryable provider error', async () => {
    const mock = { reply: 'ok', failTimes: 2, tokensPerSecond: 0 };
    const err = await mockProvider(mock, 1)
      .generate(request('p'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeFailure);
    expect(err).toMatchObject({
      kind: 'provider',
      retryable: true,
      message: 'mock failure (attempt 1 of failTimes 2)',
    });
    await expect(mockProvider(mock, 2).generate(request('p'))).rejects.toMatchObject({
      message: 'mock failure (attempt 2 of failTimes 2)',
    });
    await expect(mockProvider(mock, 3).generate(request('p'))).resolves.toMatchObject({ text: 'ok' });
  });

  it('stops with a cancelled failure when the signal aborts mid-stream', async () => {
    const ac = new AbortController();
    const clock = fakeClock();
    const req = request('p', { signal: ac.signal });
    const tokens: string[] = [];
    req.onToken = (t) => {
      tokens.push(t);
      if (tokens.length === 2) ac.abort();
    };
    const err = await mockProvider({ reply: 'a b c d', tokensPerSecond: 10 }, 1, { clock })
      .generate(req)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'cancelled', retryable: false });
    expect(tokens).toEqual(['a ', 'b ']);
  });

  it('follows mock.script for agents', async () => {
    const mock = {
      tokensPerSecond: 0,
      script: [{ toolCall: { name: 'lookup', args: { q: 'acme' } } }, { reply: { done: true } }],
    };
    expect(mockScriptStep(mock, 0)).toEqual({ toolCall: { name: 'lookup', args: { q: 'acme' } } });
    expect(mockScriptStep(mock, 1)).toEqual({ reply: { done: true } });
    expect(mockScriptStep(mock, 2)).toBeUndefined();
    expect(mockScriptStep({ reply: 'x' }, 0)).toBeUndefined();

    const first = await mockProvider(mock, 1, { stepIndex: 0 }).generate(request('go'));
    expect(first.toolCall).toMatchObject({ name: 'lookup', args: { q: 'acme' } });
    expect(first.text).toBe('');
    // Without an explicit index, earlier assistant messages count the calls made so far.
    const second = await mockProvider(mock, 1).generate(
      request('go', {
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: '' },
          { role: 'tool', content: '{"found":1}' },
        ],
      }),
    );
    expect(second.toolCall).toBeUndefined();
    expect(second.text).toBe('{"done":true}');
    await expect(mockProvider(mock, 1, { stepIndex: 5 }).generate(request('go'))).rejects.toMatchObject({
      kind: 'provider',
    });
  });
});
