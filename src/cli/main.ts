/**
 * The `statepipe` command line (docs/cli.md). A thin layer over
 * StatepipeService: commander parses, commands/*.ts act, exit.ts maps outcomes and errors to
 * exit codes (0 ok · 1 failed/cancelled · 2 usage/validation · 3 waiting/paused · 4 database).
 *
 * `--json` on run-driving commands prints `{ runId, status, result, error?, waitingFor?,
 * pauseReason?, compensated?, tokens, costUsd, durationMs? }` on stdout; progress then goes
 * to stderr. `--jsonl -` makes stdout carry only the event JSONL.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, exitCodeFor, reportError } from './exit.js';
import { disableColor } from './render.js';
import { COMMANDS, commandsFor, type CommandName } from './command-names.js';
import { flushed, guardStdio, stdoutFailure } from './stdio.js';
import type { GlobalOpts } from './global-opts.js';

const VERSION = '0.1.0';

/** Flags of every command that drives a run. */
/** The flags of the commands that drive a run; `cancel` and `pause` have nothing to plan (no --dry-run). */
function runFlags(cmd: Command, opts: { dryRun?: boolean } = {}): Command {
  if (opts.dryRun !== false)
    cmd.option(
      '--dry-run',
      'check it, print the execution order of what would run and worst-case tokens; run nothing, write nothing',
    );
  return cmd
    .option('--inspect', 'a live view of every node, redrawn in place')
    .option('--jsonl <file>', 'append every event as a JSON line (- for stdout, which then carries only JSONL)')
    .option('--json', 'print the final outcome as JSON on stdout (progress goes to stderr)')
    .option('--hooks <file.js>', 'an ES module exporting onInit/onProgress/onRetry/onSuccess/onError/onComplete');
}

type Action = (...args: never[]) => Promise<number> | number;

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

/**
 * Each command's module is imported when that command runs, never at start: `--version` or
 * `validate` do not load the engine, the store or the web server (the bundle splits a chunk off
 * at every one of these imports).
 */
const control = () => import('./commands/control.js');
const files = () => import('./commands/files.js');
const inspect = () => import('./commands/inspect.js');

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

  const act =
    <M>(load: () => Promise<M>, pick: (m: M) => Action) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const g = cmd.optsWithGlobals() as GlobalOpts;
      const positional = args.slice(0, -2);
      const opts = args[args.length - 2];
      const fn = pick(await load()) as (...a: unknown[]) => Promise<number> | number;
      setExit(await fn(...positional, opts, g));
    };

  if (want('run'))
    runFlags(
      program
        .command('run')
        .description('validate a graph, start a run, stream its progress; exits when it ends or waits')
        .argument('<graph>', 'graph file (JSON or YAML, format v1)')
        .option('--input <json>', 'the run input: JSON text, or @file.json')
        .option('--inputs <file.jsonl>', 'batch: one run per JSON line')
        .option('--concurrency <n>', 'batch: runs at once (default 1)')
        .option('--detach', 'PostgreSQL: create the run(s), queue them for workers, print the run id(s) and exit')
        .option('--priority <n>', 'with --detach: higher runs first (default 0)')
        .option('--queue <name>', 'with --detach: the queue workers take it from (default: default)'),
    ).action(
      act(
        () => import('./commands/run.js'),
        (m) => m.runCommand as Action,
      ),
    );

  if (want('worker'))
    program
      .command('worker')
      .description('PostgreSQL: take queued runs and drive them, at most --concurrency at once; SIGTERM drains')
      .option('--concurrency <n>', 'runs at once (default 16)')
      .option('--name <name>', 'the name in its leases and output (default: worker-<hostname>)')
      .option('--queue <name>', 'the queue to take runs from (default: default)')
      .option(
        '--grace-ms <ms>',
        'on SIGTERM/SIGINT, how long running nodes may finish before their runs are released (default 30000)',
      )
      .action(
        act(
          () => import('./commands/worker.js'),
          (m) => ((opts: object, g: GlobalOpts) => m.workerCommand(opts, g)) as Action,
        ),
      );

  if (want('validate'))
    program
      .command('validate')
      .description('validate graph files; opens no database')
      .argument('<graph...>', 'graph files')
      .option('--json', 'print the result as JSON')
      .action(
        act(
          () => import('./commands/validate.js'),
          (m) =>
            ((paths: string[], opts: { json?: boolean }, g: GlobalOpts) => m.validateCommand(paths, opts, g)) as Action,
        ),
      );

  if (want('resume'))
    runFlags(
      program
        .command('resume')
        .description('continue an interrupted, paused or budget-paused run')
        .argument('<runId>')
        .option('--max-tokens <n>', 'raise the token budget before continuing')
        .option('--max-cost <usd>', 'raise the cost budget (USD) before continuing')
        .option('--wait', 'PostgreSQL: drive the run here instead of handing it to a worker'),
    ).action(act(control, (m) => m.resumeCommand as Action));

  if (want('approve'))
    runFlags(
      program
        .command('approve')
        .description('decide an open approval, then continue the run here')
        .argument('<runId>')
        .argument('<nodeId>')
        .option('--reject', 'reject instead of approve')
        .option('--comment <text>', 'a comment recorded with the decision')
        .option('--data <json>', 'data recorded with the decision (JSON, or @file.json)')
        .option('--by <name>', 'who decides (default: the current user)')
        .option('--wait', 'PostgreSQL: drive the run here instead of handing it to a worker'),
    ).action(act(control, (m) => m.approveCommand as Action));

  if (want('retry'))
    runFlags(
      program
        .command('retry')
        .description('retry a failed or in-doubt node and continue')
        .argument('<runId>')
        .argument('<nodeId>')
        .option('--wait', 'PostgreSQL: drive the run here instead of handing it to a worker'),
    ).action(act(control, (m) => m.retryCommand as Action));

  if (want('rerun'))
    runFlags(
      program
        .command('rerun')
        .description('a new run reusing the outputs of every node not downstream of --from')
        .argument('<runId>')
        .addOption(new Option('--from <nodeId>', 'the node to rerun from').makeOptionMandatory(true)),
    ).action(act(control, (m) => m.rerunCommand as Action));

  if (want('cancel'))
    runFlags(program.command('cancel').description('cancel a run (compensations run)').argument('<runId>'), {
      dryRun: false,
    }).action(act(control, (m) => m.cancelCommand as Action));

  if (want('pause'))
    runFlags(program.command('pause').description('pause a run (no new node starts)').argument('<runId>'), {
      dryRun: false,
    }).action(act(control, (m) => m.pauseCommand as Action));

  if (want('replay'))
    program
      .command('replay')
      .description(
        're-drive a finished run from its recorded outputs and check it reproduces them (exit 0 if so, 1 if not)',
      )
      .argument('<runId>')
      .option('--json', 'print the report as JSON')
      .action(act(control, (m) => m.replayCommand as Action));

  if (want('inspect'))
    program
      .command('inspect')
      .description('status, timings, tokens, cost and per-node state of a run')
      .argument('<runId>')
      .option('--json', 'print one JSON document')
      .option('--node <nodeId>', 'details of one node')
      .action(act(inspect, (m) => m.inspectCommand as Action));

  if (want('list'))
    program
      .command('list')
      .description('runs, newest first')
      .option('--status <status>', 'only runs in this status (comma-separated for several)')
      .option('--graph <id>', 'only runs of this graph')
      .option('--limit <n>', 'at most N runs (default 50)')
      .option('--all', 'child runs of subgraph, map and loop nodes too (default: top-level runs)')
      .option('--parent <runId>', 'only the child runs of this run')
      .option('--json', 'print JSON')
      .action(act(inspect, (m) => ((opts: object, g: GlobalOpts) => m.listCommand(opts, g)) as Action));

  if (want('export'))
    program
      .command('export')
      .description("a run's full event history as JSONL (the event format of docs/runtime.md)")
      .argument('<runId>')
      .option('--out <file>', 'write to a file instead of stdout')
      .option('--children', 'the events of its child runs (subgraph, map, loop) too, after its own')
      .action(act(files, (m) => m.exportCommand as Action));

  if (want('export-graph'))
    program
      .command('export-graph')
      .description('the graph file (format v1) of a graph id (latest version) or of the snapshot a run ran')
      .argument('<graphIdOrRunId>')
      .option('--out <file>', 'write to a file instead of stdout')
      .option('--format <json|yaml>', 'file format (default: json, or yaml when --out ends in .yaml/.yml)')
      .action(act(files, (m) => m.exportGraphCommand as Action));

  if (want('serve'))
    program
      .command('serve')
      .description('the studio in a browser, same engine and database')
      .option('--port <n>', 'port (default: the server chooses)')
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option(
        '--workers',
        'PostgreSQL: queue started and approved runs for statepipe worker instead of driving them here',
      )
      .action(
        act(
          () => import('./commands/serve.js'),
          (m) => ((opts: object, g: GlobalOpts) => m.serveCommand(opts, g)) as Action,
        ),
      );

  if (want('chaos'))
    program
      .command('chaos')
      .description(
        'run a graph N times, SIGKILLing it at random transitions and resuming; check every run against an uninterrupted one',
      )
      .argument('<graph>', 'graph file (JSON, format v1)')
      .option('-n <runs>', 'how many runs (default 20)')
      .option('--seed <n>', 'seed of the kill schedule (same seed, same kill points)')
      .option('--input <json>', 'the run input: JSON text, or @file.json')
      .option('--db-dir <dir>', 'where the databases go (default: a temp folder, removed when all runs match)')
      .option('--parallel <n>', 'runs at once (default 1)')
      .option('--max-kills <n>', 'kills per run at most (default 3)')
      .option('--counts-url <url>', "a test server's requests per Idempotency-Key (JSON), checked after the runs")
      .option('--keep', 'keep every database')
      .option(
        '--workers <n>',
        'with --db postgres://…: N worker processes drive the runs; workers are SIGKILLed at random',
      )
      .option('--json', 'print the summary as JSON on stdout')
      .action(
        act(
          () => import('./commands/chaos.js'),
          (m) => m.chaosCommand as Action,
        ),
      );

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
