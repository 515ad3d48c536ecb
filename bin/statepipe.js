#!/usr/bin/env node
// The `statepipe` command: runs the CLI straight from its TypeScript source
// through tsx, so a checkout works right after `npm install` with no build step.
// tsx is registered under a namespace: it compiles the CLI's own modules only, and files the
// user hands over (`--hooks hooks.js`) load as plain Node would load them (an ES-module
// hooks.js with no package.json is not forced through tsx's CommonJS path).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = register({ namespace: 'statepipe-cli' });
await tsx.import(pathToFileURL(join(here, '..', 'src', 'cli', 'main.ts')).href, import.meta.url);
