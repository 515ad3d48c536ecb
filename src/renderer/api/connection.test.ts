/** What a person types as a server in Settings → Connection, read as an origin and a token. */
import { describe, expect, it } from 'vitest';
import { connectionLabel, parseServer, socketUrl } from './connection';

describe('parseServer', () => {
  it('takes host:port, a URL, or the line serve printed (its token when the field is empty)', () => {
    expect(parseServer('10.0.0.5:7777', 'tok')).toEqual({
      ok: true,
      server: { url: 'http://10.0.0.5:7777', token: 'tok' },
    });
    expect(parseServer(' https://sp.example.com/ ', 'tok')).toEqual({
      ok: true,
      server: { url: 'https://sp.example.com', token: 'tok' },
    });
    expect(parseServer('http://127.0.0.1:7777/?token=abc', '')).toEqual({
      ok: true,
      server: { url: 'http://127.0.0.1:7777', token: 'abc' },
    });
    // A typed token wins over the one in the URL.
    expect(parseServer('http://127.0.0.1:7777/?token=abc', 'mine')).toMatchObject({ server: { token: 'mine' } });
  });

  it('says what is wrong: nothing typed, no token, not an address, not http', () => {
    expect(parseServer('', 't')).toMatchObject({ ok: false, error: expect.stringContaining('server address') });
    expect(parseServer('10.0.0.5:7777', ' ')).toMatchObject({ ok: false, error: expect.stringContaining('token') });
    expect(parseServer('http://exa mple', 't')).toMatchObject({
      ok: false,
      error: expect.stringContaining('not a server address'),
    });
    expect(parseServer('ftp://x:1', 't')).toMatchObject({ ok: false, error: expect.stringContaining('http://') });
  });

  it('names the server in the badge and builds its socket address with the token', () => {
    expect(connectionLabel(null)).toBe('local');
    expect(connectionLabel({ url: 'http://10.0.0.5:7777', token: 't' })).toBe('server: 10.0.0.5:7777');
    expect(socketUrl('https://sp.example.com', 'a b')).toBe('wss://sp.example.com/ws?token=a+b');
    expect(socketUrl('http://127.0.0.1:7777', 't')).toBe('ws://127.0.0.1:7777/ws?token=t');
  });
});
