/**
 * The commands of the command line, one named step each: how commander declares it (its
 * arguments, flags and help) and which module acts on it, loaded when it runs (main.ts builds the
 * program from the ones a command line needs).
 */
import { Option, type Command } from 'commander';
import type { CommandName } from './command-names.js';
import type { GlobalOpts } from './global-opts.js';

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

export type Action = (...args: never[]) => Promise<number> | number;

/** Wraps a command's action: loads its module, calls it with its arguments, sets the exit code. */
export type Act = <M>(load: () => Promise<M>, pick: (m: M) => Action) => (...args: unknown[]) => Promise<void>;

/**
 * Each command's module is imported when that command runs, never at start: `--version` or
 * `validate` do not load the engine, the store or the web server (the bundle splits a chunk off
 * at every one of these imports).
 */
const control = () => import('./commands/control.js');
const files = () => import('./commands/files.js');
const inspect = () => import('./commands/inspect.js');

export const COMMAND_TABLE: { [N in CommandName]: (program: Command, act: Act) => void } = {
  run: (program, act) => {
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
  },
  worker: (program, act) => {
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
  },
  validate: (program, act) => {
    program
      .command('validate')
      .description(
        'validate graph files; writes no database (reads one only for a subgraph, map or loop graph no file provides)',
      )
      .argument('<graph...>', 'graph files')
      .option('--json', 'print the result as JSON')
      .action(
        act(
          () => import('./commands/validate.js'),
          (m) =>
            ((paths: string[], opts: { json?: boolean }, g: GlobalOpts) => m.validateCommand(paths, opts, g)) as Action,
        ),
      );
  },
  resume: (program, act) => {
    runFlags(
      program
        .command('resume')
        .description('continue an interrupted, paused or budget-paused run')
        .argument('<runId>')
        .option('--max-tokens <n>', 'raise the token budget before continuing')
        .option('--max-cost <usd>', 'raise the cost budget (USD) before continuing')
        .option('--wait', 'PostgreSQL: drive the run here instead of handing it to a worker'),
    ).action(act(control, (m) => m.resumeCommand as Action));
  },
  approve: (program, act) => {
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
  },
  retry: (program, act) => {
    runFlags(
      program
        .command('retry')
        .description('retry a failed or in-doubt node and continue')
        .argument('<runId>')
        .argument('<nodeId>')
        .option('--wait', 'PostgreSQL: drive the run here instead of handing it to a worker'),
    ).action(act(control, (m) => m.retryCommand as Action));
  },
  rerun: (program, act) => {
    runFlags(
      program
        .command('rerun')
        .description('a new run reusing the outputs of every node not downstream of --from')
        .argument('<runId>')
        .addOption(new Option('--from <nodeId>', 'the node to rerun from').makeOptionMandatory(true)),
    ).action(act(control, (m) => m.rerunCommand as Action));
  },
  cancel: (program, act) => {
    runFlags(program.command('cancel').description('cancel a run (compensations run)').argument('<runId>'), {
      dryRun: false,
    }).action(act(control, (m) => m.cancelCommand as Action));
  },
  pause: (program, act) => {
    runFlags(program.command('pause').description('pause a run (no new node starts)').argument('<runId>'), {
      dryRun: false,
    }).action(act(control, (m) => m.pauseCommand as Action));
  },
  replay: (program, act) => {
    program
      .command('replay')
      .description(
        're-drive a finished run from its recorded outputs and check it reproduces them (exit 0 if so, 1 if not)',
      )
      .argument('<runId>')
      .option('--json', 'print the report as JSON')
      .action(act(control, (m) => m.replayCommand as Action));
  },
  inspect: (program, act) => {
    program
      .command('inspect')
      .description('status, timings, tokens, cost and per-node state of a run')
      .argument('<runId>')
      .option('--json', 'print one JSON document')
      .option('--node <nodeId>', 'details of one node')
      .action(act(inspect, (m) => m.inspectCommand as Action));
  },
  list: (program, act) => {
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
  },
  export: (program, act) => {
    program
      .command('export')
      .description("a run's full event history as JSONL (the event format of docs/runtime.md)")
      .argument('<runId>')
      .option('--out <file>', 'write to a file instead of stdout')
      .option('--children', 'the events of its child runs (subgraph, map, loop) too, after its own')
      .action(act(files, (m) => m.exportCommand as Action));
  },
  'export-graph': (program, act) => {
    program
      .command('export-graph')
      .description('the graph file (format v1) of a graph id (latest version) or of the snapshot a run ran')
      .argument('<graphIdOrRunId>')
      .option('--out <file>', 'write to a file instead of stdout')
      .option('--format <json|yaml>', 'file format (default: json, or yaml when --out ends in .yaml/.yml)')
      .action(act(files, (m) => m.exportGraphCommand as Action));
  },
  serve: (program, act) => {
    program
      .command('serve')
      .description('the studio in a browser, same engine and database')
      .option('--port <n>', 'port (default: the server chooses)')
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option(
        '--workers',
        'PostgreSQL: queue started and approved runs for statepipe worker instead of driving them here',
      )
      .option(
        '--allow-origin <origin>',
        "let the studio of another server (its origin, e.g. http://10.0.0.5:7777) connect here with this server's token; repeatable",
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option(
        '--grace-ms <ms>',
        'on Ctrl+C/SIGTERM, how long running nodes may finish before their runs stop unfinished (default 30000)',
      )
      .action(
        act(
          () => import('./commands/serve.js'),
          (m) => ((opts: object, g: GlobalOpts) => m.serveCommand(opts, g)) as Action,
        ),
      );
  },
  chaos: (program, act) => {
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
  },
};
