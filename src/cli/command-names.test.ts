import { describe, expect, it } from 'vitest';
import { COMMANDS, commandsFor } from './command-names.js';

const line = (...args: string[]): string[] => ['node', 'statepipe', ...args];

describe('commandsFor: the commands a command line needs declared', () => {
  it('only the command it names, after any global options', () => {
    expect(commandsFor(line('list', '--json'))).toEqual(['list']);
    expect(commandsFor(line('--db', 'run', 'inspect', 'run_1'))).toEqual(['inspect']); // "run" is --db's value
    expect(commandsFor(line('--db=x.db', '--no-color', 'export-graph', 'g'))).toEqual(['export-graph']);
    expect(commandsFor(line('run', '--help'))).toEqual(['run']);
  });

  it('none for a bare --version; all for help, no command or an unknown one (its suggestion)', () => {
    expect(commandsFor(line('--version'))).toEqual([]);
    expect(commandsFor(line('-V', '--verbose'))).toEqual([]);
    expect(commandsFor(line('-V', '--help'))).toEqual(COMMANDS);
    expect(commandsFor(line('--help'))).toEqual(COMMANDS);
    expect(commandsFor(line('help', 'run'))).toEqual(COMMANDS);
    expect(commandsFor(line('lst'))).toEqual(COMMANDS);
    expect(commandsFor(line())).toEqual(COMMANDS);
  });
});
