import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCredentialStore, type Cipher } from '../credentials.js';
import { ProviderRegistry } from './index.js';
import { openAiServer, type FakeServer } from './test-servers.js';

/** A stand-in for safeStorage: reversible, and never the plain text. */
const cipher: Cipher = {
  encrypt: (plain) => Uint8Array.from(Buffer.from(plain, 'utf8'), (b) => b ^ 0x5a),
  decrypt: (enc) => Buffer.from(Uint8Array.from(enc, (b) => b ^ 0x5a)).toString('utf8'),
};

const KEY = 'sk-stored-in-keychain-1234567890';

let oa: FakeServer;
beforeAll(async () => {
  oa = await openAiServer();
});
afterAll(async () => {
  await oa.close();
});

describe('FileCredentialStore', () => {
  it('keeps values encrypted in a private file and reads them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-cred-'));
    const file = join(dir, 'nested', 'credentials.json');
    const store = new FileCredentialStore(file, cipher);
    expect(store.get('OPENAI_API_KEY')).toBeUndefined();
    store.set('OPENAI_API_KEY', KEY);
    store.set('ANTHROPIC_API_KEY', 'sk-ant-other-value');
    expect(readFileSync(file, 'utf8')).not.toContain(KEY);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = new FileCredentialStore(file, cipher);
    expect(again.get('OPENAI_API_KEY')).toBe(KEY);
    expect(again.list()).toEqual(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']);
    expect(again.delete('ANTHROPIC_API_KEY')).toBe(true);
    expect(again.delete('ANTHROPIC_API_KEY')).toBe(false);
    expect(new FileCredentialStore(file, cipher).list()).toEqual(['OPENAI_API_KEY']);
  });

  it('refuses bad names, blank values and foreign files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-cred-'));
    const store = new FileCredentialStore(join(dir, 'c.json'), cipher);
    expect(() => store.set('openai key', 'x')).toThrow(/must look like OPENAI_API_KEY/);
    expect(() => store.set('OPENAI_API_KEY', '  ')).toThrow(/non-empty/);
    const foreign = join(dir, 'other.json');
    writeFileSync(foreign, '{"hello":1}');
    expect(() => new FileCredentialStore(foreign, cipher)).toThrow(/not a statepipe credentials file/);
  });

  it('a value that no longer decrypts is treated as absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-cred-'));
    const file = join(dir, 'c.json');
    new FileCredentialStore(file, cipher).set('OPENAI_API_KEY', KEY);
    const broken = new FileCredentialStore(file, {
      encrypt: cipher.encrypt,
      decrypt: () => {
        throw new Error('other machine');
      },
    });
    expect(broken.get('OPENAI_API_KEY')).toBeUndefined();
  });
});

describe('providers with a credential store', () => {
  it('use a stored key when the environment has none, and scrub it from errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-cred-'));
    const store = new FileCredentialStore(join(dir, 'c.json'), cipher);
    const reg = new ProviderRegistry({ env: { OPENAI_BASE_URL: `${oa.url}/v1` }, credentials: store });
    expect(reg.get('openai')).toBeUndefined();
    store.set('OPENAI_API_KEY', KEY);
    const provider = reg.get('openai');
    expect(provider).toBeDefined();
    oa.queue.push({ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } });
    const err = await provider!
      .generate({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
        signal: new AbortController().signal,
        onToken: () => undefined,
      })
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
    expect(oa.seen.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(err.message).toContain('***');
    expect(err.message).not.toContain(KEY);
    // The environment wins over the store.
    const envFirst = new ProviderRegistry({
      env: { OPENAI_API_KEY: 'sk-from-env-abcdef', OPENAI_BASE_URL: `${oa.url}/v1` },
      credentials: store,
    });
    expect(envFirst.secret('OPENAI_API_KEY')).toBe('sk-from-env-abcdef');
    expect(envFirst.secrets()).toEqual(expect.arrayContaining(['sk-from-env-abcdef', KEY]));
  });
});
