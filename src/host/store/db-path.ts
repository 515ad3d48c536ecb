/** Where the database lives by default. Light (no SQLite, no pg): commands that may never open it import only this. */
import os from 'node:os';
import path from 'node:path';
import { resolveStoreSpec } from './spec.js';

/** `STATEPIPE_DB` (a file, or a PostgreSQL URL kept as written), else the per-user file the desktop app and the CLI share. */
export function defaultDbPath(): string {
  const env = process.env['STATEPIPE_DB'];
  if (env && env.trim() !== '') return resolveStoreSpec(env);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'statepipe', 'statepipe.db');
    case 'win32':
      return path.join(process.env['APPDATA'] || path.join(home, 'AppData', 'Roaming'), 'statepipe', 'statepipe.db');
    default:
      return path.join(home, '.statepipe', 'statepipe.db');
  }
}
