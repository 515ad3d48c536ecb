/**
 * The desktop app's credential store: a file next to the database whose values are encrypted
 * by Electron's safeStorage (Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux).
 * Pass it to the service as `providers: { credentials: openCredentialStore(dir) }`.
 */
import { safeStorage } from 'electron';
import path from 'node:path';
import { FileCredentialStore, MemoryCredentialStore, type CredentialStore } from '../host/credentials.js';

export const CREDENTIALS_FILE = 'credentials.json';

/**
 * The store in `dir`. When the OS offers no encryption (e.g. Linux without a keyring), keys
 * are kept in memory only for this session rather than written in the clear.
 */
export function openCredentialStore(dir: string): CredentialStore {
  if (!safeStorage.isEncryptionAvailable()) return new MemoryCredentialStore();
  return new FileCredentialStore(path.join(dir, CREDENTIALS_FILE), {
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (encrypted) => safeStorage.decryptString(Buffer.from(encrypted)),
  });
}
