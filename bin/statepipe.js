#!/usr/bin/env node
// The `statepipe` command: runs the CLI straight from its TypeScript source
// through tsx, so a checkout works right after `npm install` with no build step.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
register();
await import(pathToFileURL(join(here, '..', 'src', 'cli', 'main.ts')).href);
