/**
 * better-sqlite3 is a native addon compiled for one ABI. The CLI, tests and web host run on
 * Node with the build in node_modules; the desktop app runs on Electron's ABI with a second
 * build kept beside it in native/electron-<abi>/ (made by `npm run rebuild:electron`), passed
 * through better-sqlite3's `nativeBinding` option. One checkout, no rebuilding back and forth.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function electronBindingPath(root: string, abi: string = process.versions.modules): string {
  return join(root, 'native', `electron-${abi}`, 'better_sqlite3.node');
}

/** The addon this process must load, or undefined for the default (Node) build. */
export function resolveNativeBinding(
  root: string,
  versions: NodeJS.ProcessVersions = process.versions,
): string | undefined {
  if (!versions['electron']) return undefined;
  const file = electronBindingPath(root, versions.modules);
  if (!existsSync(file)) {
    throw new Error(
      `better-sqlite3 has no build for Electron (ABI ${versions.modules}) at ${file}: run \`npm run rebuild:electron\``,
    );
  }
  return file;
}
