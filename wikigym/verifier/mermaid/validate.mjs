// Validate Mermaid diagrams with the real `mermaid` parser under Node, one long-lived process.
//
// Protocol (JSON lines on stdin/stdout):
//   request  {"id": <int>, "codes": ["graph TD\n A-->B", ...]}
//   response {"id": <int>, "results": [{"ok": true, "type": "flowchart-v2"} | {"ok": false, "error": "..."}]}
// The first line written is {"ready": true, "version": "<mermaid version>"} once mermaid has loaded, or
// {"ready": false, "error": "..."} when it cannot be loaded.
//
// Usage: node validate.mjs <node_modules dir>
// Speed: unless WIKIGYM_MERMAID_EXACT=1, memo_config_hooks.mjs memoizes mermaid's internal config copy (see there);
// the ready line says whether it applied ("configMemo").
// Mermaid needs no DOM to parse, but at load time its sanitizer (DOMPurify) has no window, so `addHook` is missing and
// flowchart/class/state/pie diagrams crash with "DOMPurify.addHook is not a function". We install no-op hooks on the
// very DOMPurify module instance mermaid imports, before mermaid itself is imported. Parsing never sanitizes
// anything we render, so the no-ops change no parse result.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

const nodeModules = process.argv[2];

function write(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function esmEntry(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  let entry = pkg.module || pkg.main || 'index.js';
  const dot = pkg.exports && (pkg.exports['.'] || pkg.exports);
  if (dot && typeof dot === 'object') {
    const imp = dot.import || dot.default;
    if (typeof imp === 'string') entry = imp;
    else if (imp && typeof imp === 'object' && typeof imp.default === 'string') entry = imp.default;
  } else if (typeof dot === 'string') {
    entry = dot;
  }
  return pathToFileURL(join(pkgDir, entry)).href;
}

async function load() {
  const mermaidDir = join(nodeModules, 'mermaid');
  if (!existsSync(join(mermaidDir, 'package.json'))) {
    throw new Error(`mermaid is not installed under ${nodeModules}`);
  }
  // mermaid resolves `dompurify` from its own directory first, then from the top-level node_modules.
  const nested = join(mermaidDir, 'node_modules', 'dompurify');
  const purifyDir = existsSync(join(nested, 'package.json')) ? nested : join(nodeModules, 'dompurify');
  if (existsSync(join(purifyDir, 'package.json'))) {
    const purify = (await import(esmEntry(purifyDir))).default;
    if (purify && typeof purify.addHook !== 'function') {
      purify.addHook = () => {};
      purify.removeHook = () => {};
      purify.removeHooks = () => {};
      purify.removeAllHooks = () => {};
      purify.sanitize = (x) => x;
    }
  }
  const configMemo = process.env.WIKIGYM_MERMAID_EXACT !== '1' && typeof nodeModule.register === 'function'
    && memoApplies(mermaidDir);
  if (configMemo) nodeModule.register(new URL('./memo_config_hooks.mjs', import.meta.url));
  const mod = await import(esmEntry(mermaidDir));
  const mermaid = mod.default || mod;
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  const version = JSON.parse(readFileSync(join(mermaidDir, 'package.json'), 'utf8')).version;
  return { mermaid, version, configMemo };
}

function memoApplies(mermaidDir) {
  // The hook rewrites only an exact getConfig definition; report whether this mermaid build has it.
  const needle = 'var getConfig = /* @__PURE__ */ __name(() => {\n  return assignWithDepth_default({}, currentConfig);';
  const dir = join(mermaidDir, 'dist', 'chunks', 'mermaid.core');
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((f) => f.endsWith('.mjs') && readFileSync(join(dir, f), 'utf8').includes(needle));
}

function firstLine(message) {
  const text = String(message || 'parse error');
  return text.length > 600 ? text.slice(0, 600) + '...' : text;
}

async function parseOne(mermaid, code) {
  try {
    const res = await mermaid.parse(code);
    if (!res) return { ok: false, error: 'mermaid.parse returned false' };
    return { ok: true, type: res.diagramType || 'unknown' };
  } catch (err) {
    const out = { ok: false, error: firstLine(err && (err.message || err.str || err)) };
    return out;
  }
}

let loaded;
try {
  loaded = await load();
  write({ ready: true, version: loaded.version, configMemo: loaded.configMemo });
} catch (err) {
  write({ ready: false, error: firstLine(err && err.message) });
  process.exit(0);
}

// Requests are answered strictly in order: a queue keeps one parse running at a time, because mermaid's diagram
// databases are module-level state.
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
let chain = Promise.resolve();
rl.on('line', (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    let req;
    try {
      req = JSON.parse(line);
    } catch (err) {
      write({ id: null, error: 'request is not JSON: ' + firstLine(err.message) });
      return;
    }
    const results = [];
    for (const code of req.codes || []) results.push(await parseOne(loaded.mermaid, String(code)));
    write({ id: req.id, results });
  });
});
rl.on('close', () => {
  chain.then(() => process.exit(0));
});
