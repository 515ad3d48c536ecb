/**
 * The `statepipe` command line (docs/cli.md). A thin layer over
 * StatepipeService: commander parses, commands/*.ts act, exit.ts maps outcomes and errors to
 * exit codes (0 ok · 1 failed/cancelled · 2 usage/validation · 3 waiting/paused · 4 database).
 *
 * `--json` on run-driving commands prints `{ runId, status, result, error?, waitingFor?,
 * pauseReason?, compensated?, tokens, costUsd, durationMs? }` on stdout; progress then goes
 * to stderr. `--jsonl -` makes stdout carry only the event JSONL.
 */
import { Command, CommanderError } from 'commander';
import { COMMAND_TABLE, type Act, type Action } from './command-table.js';
import { EXIT, exitCodeFor, reportError } from './exit.js';
import { disableColor } from './render.js';
import { COMMANDS, commandsFor, type CommandName } from './command-names.js';
import { flushed, guardStdio, stdoutFailure } from './stdio.js';
import type { GlobalOpts } from './global-opts.js';

const VERSION = '0.1.0';

/** The command being run (set before its action starts). */
let command = '';

/**
 * Commands whose stdout only follows a run (progress, or JSONL with `--jsonl -`): a reader that
 * leaves (`| head -1`) does not change their exit code, which is the run's. Every other command's
 * stdout is its product, which must arrive whole.
 */
const FOLLOWS_A_RUN = new Set([
  'run',
  'resume',
  'approve',
  'retry',
  'rerun',
  'cancel',
  'pause',
  'chaos',
  'serve',
  'worker',
]);

export function buildProgram(setExit: (code: number) => void, commands: readonly string[] = COMMANDS): Command {
  const want = (name: CommandName): boolean => commands.includes(name);
  const program = new Command('statepipe');
  program
    .description('statepipe: a durable engine for LLM workflow graphs (headless)')
    .version(VERSION, '-V, --version')
    .option(
      '--db <path|url>',
      'the database: a SQLite file or a postgres:// URL (else STATEPIPE_DB, else the per-user default)',
    )
    .option('--verbose', 'node logs, retry details and error stacks')
    .option('--no-color', 'no colours (also NO_COLOR)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) =>
        write(
          `statepipe: ${str
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim()}\n`,
        ),
    })
    .configureHelp({ showGlobalOptions: true });

  program.hook('preAction', (_this, action) => {
    if ((action.optsWithGlobals() as GlobalOpts).color === false) disableColor();
    command = action.name();
  });

  const act: Act =
    <M>(load: () => Promise<M>, pick: (m: M) => Action) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const g = cmd.optsWithGlobals() as GlobalOpts;
      const positional = args.slice(0, -2);
      const opts = args[args.length - 2];
      const fn = pick(await load()) as (...a: unknown[]) => Promise<number> | number;
      setExit(await fn(...positional, opts, g));
    };

  for (const name of COMMANDS) if (want(name)) COMMAND_TABLE[name](program, act);

  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c), commandsFor(argv));
  if (argv.includes('--no-color')) disableColor();
  const verbose = argv.includes('--verbose');
  if (verbose) process.setSourceMapsEnabled(true); // stacks name the TypeScript sources, not the bundle
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeFor(err); // commander printed its one line
    reportError(err, verbose);
    return exitCodeFor(err);
  }
  return code;
}

/**
 * Ends the process with `code` once stdout and stderr are flushed (a slow pipe reader gets every
 * byte), and even if something left a handle open. Output that could not be written makes the
 * exit non-zero with one line on stderr: a truncated export must not look like a whole one.
 */
async function exitWhenFlushed(code: number): Promise<void> {
  process.exitCode = code;
  await flushed(process.stdout);
  const failure = stdoutFailure();
  if (failure && !(failure.code === 'EPIPE' && FOLLOWS_A_RUN.has(command))) {
    const why = failure.code === 'EPIPE' ? 'the reader closed the pipe' : (failure.code ?? failure.message);
    process.stderr.write(`statepipe: cannot write to stdout (${why}): the output is incomplete\n`);
    if (code === EXIT.ok) code = EXIT.failed;
    process.exitCode = code;
  }
  await flushed(process.stderr);
  const t = setTimeout(() => process.exit(code), 500);
  t.unref();
}

const isEntry = (() => {
  const argv1 = process.argv[1] ?? '';
  return (
    /(?:^|[\\/])(main\.[cm]?[jt]s|statepipe(\.[cm]?js)?)$/.test(argv1) || import.meta.url.endsWith('/bin/statepipe.js')
  );
})();

if (isEntry) {
  guardStdio(); // `| head -1` closing stdout stops the output, not the run
  void main().then(exitWhenFlushed, (err: unknown) => {
    reportError(err, process.argv.includes('--verbose'));
    return exitWhenFlushed(exitCodeFor(err));
  });
}
