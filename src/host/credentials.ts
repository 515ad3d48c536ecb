/**
 * Provider credentials for the desktop app: a small store of named secrets (OPENAI_API_KEY, …)
 * kept in a file whose values are encrypted by a pair of functions the host provides (the
 * Electron main passes `safeStorage.encryptString` / `decryptString`, i.e. the OS keychain).
 *
 * Keys never go into graph files, events, logs or exports: the providers read them at call
 * time and scrub their values from every error (src/host/providers).
 *
 * File: `{ "format": "statepipe.credentials", "version": 1, "secrets": { NAME: base64 } }`,
 * written atomically with mode 0600.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Named secrets. Synchronous: providers look keys up while building a request. */
export interface CredentialStore {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  delete(name: string): boolean;
  /** Names only; values are never listed. */
  list(): string[];
}

export interface Cipher {
  encrypt(plain: string): Uint8Array;
  decrypt(encrypted: Uint8Array): string;
}

const NAME_RE = /^[A-Z][A-Z0-9_]{0,127}$/;
const FORMAT = 'statepipe.credentials';

interface CredentialFile {
  format: typeof FORMAT;
  version: 1;
  secrets: Record<string, string>;
}

/** A CredentialStore in one file, each value encrypted with `cipher`. */
export class FileCredentialStore implements CredentialStore {
  private secrets: Record<string, string>;

  constructor(
    readonly file: string,
    private readonly cipher: Cipher,
  ) {
    this.secrets = this.load();
  }

  private load(): Record<string, string> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return {};
      throw new Error(`credentials ${this.file}: cannot read (${(err as { code?: string }).code ?? String(err)})`);
    }
    let parsed: Partial<CredentialFile>;
    try {
      parsed = JSON.parse(text) as Partial<CredentialFile>;
    } catch {
      throw new Error(`credentials ${this.file}: not a statepipe credentials file`);
    }
    if (parsed.format !== FORMAT || parsed.version !== 1 || !parsed.secrets || typeof parsed.secrets !== 'object') {
      throw new Error(`credentials ${this.file}: not a statepipe credentials file (format/version)`);
    }
    return { ...parsed.secrets };
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const body: CredentialFile = { format: FORMAT, version: 1, secrets: this.secrets };
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    try {
      chmodSync(this.file, 0o600);
    } catch {
      // Not every file system keeps modes (Windows); the values are encrypted anyway.
    }
  }

  get(name: string): string | undefined {
    const enc = this.secrets[name];
    if (enc === undefined) return undefined;
    try {
      return this.cipher.decrypt(Buffer.from(enc, 'base64'));
    } catch {
      // Encrypted by another user/machine's key: as good as absent.
      return undefined;
    }
  }

  set(name: string, value: string): void {
    if (!NAME_RE.test(name)) throw new Error(`credential name "${name}" must look like OPENAI_API_KEY (A-Z, 0-9, _)`);
    if (typeof value !== 'string' || value.trim() === '')
      throw new Error(`credential ${name}: value must be a non-empty string`);
    this.secrets[name] = Buffer.from(this.cipher.encrypt(value.trim())).toString('base64');
    this.save();
  }

  delete(name: string): boolean {
    if (!(name in this.secrets)) return false;
    delete this.secrets[name];
    this.save();
    return true;
  }

  list(): string[] {
    return Object.keys(this.secrets).sort();
  }
}

/** A store that lives only in memory (tests, or a host with no safe encryption). */
export class MemoryCredentialStore implements CredentialStore {
  private readonly values = new Map<string, string>();
  get(name: string): string | undefined {
    return this.values.get(name);
  }
  set(name: string, value: string): void {
    this.values.set(name, value);
  }
  delete(name: string): boolean {
    return this.values.delete(name);
  }
  list(): string[] {
    return [...this.values.keys()].sort();
  }
}
