/** Where the database lives by default. Light (no SQLite): commands that may never open it import only this. */
import os from 'node:os';
import path from 'node:path';

/** `STATEPIPE_DB`, else the per-user file the desktop app and the CLI share. */
export function defaultDbPath(): string {
  const env = process.env['STATEPIPE_DB'];
  if (env && env.trim() !== '') return path.resolve(env);
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
