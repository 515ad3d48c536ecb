/**
 * The source of the child process that runs `code` nodes, as plain JavaScript (an ES module).
 *
 * It is kept as text so it runs the same from TypeScript sources (tsx, vitest) and from any
 * bundle: code.ts writes it once to a private temporary file that code-pool.ts starts as a
 * child process (with an IPC channel). It uses only `node:vm`.
 *
 * Isolation, inside a process that has its own memory limits (code-pool.ts):
 * - each call gets a fresh vm context built on a null-prototype object (so `this.constructor`
 *   does not lead back to the worker's realm), with no code generation from strings or wasm;
 * - only strings cross into the context (the arguments as JSON text) and only strings come back
 *   (the result as JSON text): no object or function of the worker's realm is ever reachable;
 * - `import()` rejects with an error made in the context's realm (this is why the worker runs
 *   with --experimental-vm-modules: without it Node rejects with an error of the worker's realm);
 * - microtasks run inside the context's own queue, under the vm `timeout`.
 *
 * Task: `{ code, argsJson, timeoutMs }`. Result: `{ ok: true, value }` (the returned value,
 * after a trip through JSON) or `{ ok: false, kind: 'code' | 'timeout', message }`; a throw
 * also carries `name`, `text` (its own message) and `frames`: the [line, column] of each frame
 * of its stack in the user's code (lines of the code as written; frames of the sandbox left out).
 * Protocol: the process sends `{ ready: true }` once up, then `{ result }` for each task message.
 * The code is compiled between CODE_HEAD and CODE_TAIL, the text validation parses (code-syntax.ts).
 */
import { CODE_HEAD, CODE_TAIL } from '../../core/graph/code-syntax.js';

export const CODE_WORKER_SOURCE = String.raw`
import vm from 'node:vm';

const VM_MODULES = typeof vm.SourceTextModule === 'function';

const SETUP = "(function () {" +
  " var g = globalThis;" +
  " delete g.WebAssembly; delete g.SharedArrayBuffer; delete g.Atomics;" +
  " g.__sp_args = undefined; g.__sp_fn = undefined; g.__sp_out = undefined;" +
  "})()";

// Runs the user's function in the context; returns the result as JSON text, or undefined when
// the function returned a thenable (its outcome then lands in globalThis.__sp_out).
const RUNNER = "(function () {" +
  " var g = globalThis, stringify = JSON.stringify, parse = JSON.parse, P = Promise, S = String;" +
  " var fn = g.__sp_fn, argsJson = g.__sp_args;" +
  " g.__sp_fn = undefined; g.__sp_args = undefined;" +
  " function describe(e) {" +
  "  try {" +
  "   if (e !== null && typeof e === 'object' && typeof e.message === 'string') {" +
  "    var name = typeof e.name === 'string' ? e.name : '';" +
  "    return name && name !== 'Error' ? name + ': ' + e.message : e.message;" +
  "   }" +
  "   return 'threw ' + S(e);" +
  "  } catch (x) { return 'threw a value that cannot be described'; }" +
  " }" +
  " function frames(e) {" +
  "  try {" +
  "   var s = e !== null && typeof e === 'object' && typeof e.stack === 'string' ? e.stack : '', out = [], m;" +
  "   var re = /code\\.js:(\\d+):(\\d+)/g;" +
  "   while ((m = re.exec(s)) !== null && out.length < 8) out.push([+m[1], +m[2]]);" +
  "   return out;" +
  "  } catch (x) { return []; }" +
  " }" +
  " function own(e, k) { try { return e !== null && typeof e === 'object' && typeof e[k] === 'string' ? e[k] : undefined; } catch (x) { return undefined; } }" +
  " function failed(e) { return stringify({ ok: false, message: describe(e), name: own(e, 'name'), text: own(e, 'message'), frames: frames(e) }); }" +
  " function done(v) {" +
  "  try {" +
  "   if (v === undefined) return '{\"ok\":true,\"value\":null}';" +
  "   var s = stringify(v);" +
  "   if (typeof s !== 'string') return stringify({ ok: false, message: 'the returned value is not JSON (' + typeof v + ')' });" +
  "   return '{\"ok\":true,\"value\":' + s + '}';" +
  "  } catch (e) { return stringify({ ok: false, message: 'the returned value is not JSON: ' + describe(e) }); }" +
  " }" +
  " var args = parse(argsJson), r;" +
  " try { r = fn(args.input, args.nodes); } catch (e) { return failed(e); }" +
  " try {" +
  "  if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {" +
  "   P.resolve(r).then(function (v) { g.__sp_out = done(v); }, function (e) { g.__sp_out = failed(e); });" +
  "   return undefined;" +
  "  }" +
  " } catch (e) { return failed(e); }" +
  " return done(r);" +
  "})()";

const READ_OUT = 'globalThis.__sp_out';

function message(err) {
  if (err && typeof err === 'object' && typeof err.message === 'string') {
    return err.name && err.name !== 'Error' ? err.name + ': ' + err.message : err.message;
  }
  return String(err);
}

// A syntax error in the code: V8 puts "code.js:<line>" on the first line of its stack.
function codeFailure(err) {
  const out = { ok: false, kind: 'code', message: message(err) };
  if (err && typeof err === 'object' && typeof err.stack === 'string') {
    const m = /^code\.js:(\d+)/.exec(err.stack);
    if (m) Object.assign(out, { name: err.name, text: err.message, frames: [[Number(m[1]), 0]] });
  }
  return out;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function runCode(task) {
  const code = String(task.code);
  const deadline = Date.now() + Math.max(1, Number(task.timeoutMs) || 1);
  const left = () => Math.max(1, Math.ceil(deadline - Date.now()));
  const timedOut = { ok: false, kind: 'timeout', message: 'time limit exceeded' };

  if (!VM_MODULES && /\bimport\b/.test(code)) {
    return { ok: false, kind: 'code', message: 'import() is not allowed in code nodes' };
  }
  const context = vm.createContext(Object.create(null), {
    name: 'statepipe code node',
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  try {
    vm.runInContext(SETUP, context, { timeout: left() });
  } catch (err) {
    return { ok: false, kind: 'code', message: 'sandbox setup failed: ' + message(err) };
  }
  const CtxError = vm.runInContext('Error', context);
  const scriptOptions = (filename) => {
    const o = { filename, lineOffset: filename === 'code.js' ? -1 : 0 };
    if (VM_MODULES) {
      o.importModuleDynamically = () => {
        throw new CtxError('import() is not allowed in code nodes');
      };
    }
    return o;
  };

  let out;
  try {
    const fn = new vm.Script(${JSON.stringify(CODE_HEAD)} + code + ${JSON.stringify(CODE_TAIL)}, scriptOptions('code.js'))
      .runInContext(context, { timeout: left() });
    context.__sp_fn = fn;
    context.__sp_args = String(task.argsJson);
    out = new vm.Script(RUNNER, scriptOptions('statepipe-runner.js')).runInContext(context, { timeout: left() });
    // A returned promise: its microtasks ran after the runner, inside the time limit. Work that
    // waits on the host (a rejected import()) settles a little later: poll until the deadline.
    let wait = 0;
    while (typeof out !== 'string') {
      out = vm.runInContext(READ_OUT, context, { timeout: left() });
      if (typeof out === 'string') break;
      if (Date.now() >= deadline) return timedOut;
      await pause(wait);
      wait = Math.min(50, wait * 2 + 1);
    }
  } catch (err) {
    if (err && err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return timedOut;
    return codeFailure(err);
  }
  let parsed;
  try {
    parsed = JSON.parse(out);
  } catch (err) {
    return { ok: false, kind: 'code', message: 'unreadable result: ' + message(err) };
  }
  if (!parsed || parsed.ok !== true) {
    const why = parsed && typeof parsed.message === 'string' ? parsed.message : 'failed';
    if (/dynamic import callback/i.test(why)) return { ok: false, kind: 'code', message: 'import() is not allowed in code nodes' };
    return { ok: false, kind: 'code', message: why, name: parsed && parsed.name, text: parsed && parsed.text, frames: parsed && parsed.frames };
  }
  return { ok: true, value: parsed.value === undefined ? null : parsed.value };
}

// One task at a time (code-pool.ts sends the next only after this one's answer).
process.on('message', (task) => {
  runCode(task).then(
    (result) => process.send({ result }),
    (err) => process.send({ result: { ok: false, kind: 'code', message: message(err) } }),
  );
});
process.send({ ready: true });
`;
