/**
 * `statepipe validate FILE…`: loads neither the engine nor the store. The database is opened
 * (read-only) only when a subgraph, map or loop node names a graph that no file provides.
 */
import { EXIT, errorMessage, exitCodeFor } from '../exit.js';
import { loadGraphFile } from '../files.js';
import { paint, streamOut } from '../render.js';
import { resolveDbPath, type GlobalOpts } from '../global-opts.js';

/**
 * Validation only: never creates or writes the database. Every file is checked: each one's
 * result is printed (`ok: …` on stdout, `statepipe: <file>: <error>` on stderr) and the exit
 * code is 2 when any failed.
 */
export async function validateCommand(files: string[], opts: { json?: boolean }, global: GlobalOpts): Promise<number> {
  const out = streamOut(process.stdout);
  const p = paint(out);
  const errp = paint(streamOut(process.stderr));
  const docs: unknown[] = [];
  let failed = 0;
  for (const file of files) {
    try {
      const g = await loadGraphFile(file, resolveDbPath(global)); // errors name the file, node/edge and field
      const what = `${g.id} (${g.nodes.length} nodes, ${g.edges.length} edges)`;
      if (opts.json) docs.push({ file, ok: true, id: g.id, nodes: g.nodes.length, edges: g.edges.length });
      else out.write(`${p.green('ok')}: ${files.length > 1 ? `${file}: ` : ''}${what}\n`);
    } catch (err) {
      if (exitCodeFor(err) !== EXIT.usage) throw err;
      failed++;
      const msg = errorMessage(err);
      const line = msg.includes(file) ? msg : `${file}: ${msg}`;
      // Every problem found (the line names the first and how many more): in --json, and with --verbose.
      const problems = ((err as { issues?: { path: string; message: string }[] }).issues ?? []).map(
        (i) => `${i.path}: ${i.message}`,
      );
      if (opts.json) docs.push({ file, ok: false, error: line, ...(problems.length > 1 ? { problems } : {}) });
      process.stderr.write(`${errp.red('statepipe:')} ${line}\n`);
      if (global.verbose && problems.length > 1) for (const pr of problems) process.stderr.write(`  ${pr}\n`);
    }
  }
  if (opts.json) out.write(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n');
  if (failed > 0 && files.length > 1) process.stderr.write(`validate: ${failed} of ${files.length} files failed\n`);
  return failed > 0 ? EXIT.usage : EXIT.ok;
}
