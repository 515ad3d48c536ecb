/** The CLI's command names, and which of them a command line needs declared (main.ts). */

/** Every command, in the order of the help. */
export const COMMANDS = [
  'run',
  'worker',
  'validate',
  'resume',
  'approve',
  'retry',
  'rerun',
  'cancel',
  'pause',
  'replay',
  'inspect',
  'list',
  'export',
  'export-graph',
  'serve',
  'chaos',
] as const;

export type CommandName = (typeof COMMANDS)[number];

/**
 * The commands to declare for this command line: the one it names, only that one (declaring all
 * fifteen, with their options, is a good part of a start); none for a bare `--version`; all of
 * them otherwise (`--help`, `help`, a mistyped name and its suggestion).
 */
export function commandsFor(argv: readonly string[]): readonly string[] {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--db')
      i++; // the global option with a value
    else if (!a.startsWith('-')) return (COMMANDS as readonly string[]).includes(a) ? [a] : COMMANDS;
  }
  const version = args.some((a) => a === '-V' || a === '--version');
  return version && !args.some((a) => a === '-h' || a === '--help') ? [] : COMMANDS;
}
