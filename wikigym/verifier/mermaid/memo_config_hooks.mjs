// Node module hooks for validate.mjs: memoize mermaid's internal `getConfig()` between configuration changes.
//
// Why: `getConfig()` deep-copies the whole configuration (all diagram types and theme variables) on every call, and
// the flowchart database calls it once per labelled node, so ~60% of `mermaid.parse()` time is config copying.
// The memo returns one copy until `currentConfig` is replaced (every parse resets it, so a copy never outlives one
// diagram). Parse verdicts are unchanged (tests/verifier/test_mermaid.py compares both modes on a corpus);
// about 2.3x faster. Set WIKIGYM_MERMAID_EXACT=1 to run mermaid unmodified. If this mermaid version defines
// getConfig differently, nothing is rewritten and mermaid runs unmodified.
export const ORIGINAL = 'var getConfig = /* @__PURE__ */ __name(() => {\n'
  + '  return assignWithDepth_default({}, currentConfig);\n'
  + '}, "getConfig");';
const MEMOIZED = 'var __wgConfigSource, __wgConfigCopy;\n'
  + 'var getConfig = /* @__PURE__ */ __name(() => {\n'
  + '  if (__wgConfigSource !== currentConfig) {\n'
  + '    __wgConfigSource = currentConfig;\n'
  + '    __wgConfigCopy = assignWithDepth_default({}, currentConfig);\n'
  + '  }\n'
  + '  return __wgConfigCopy;\n'
  + '}, "getConfig");';

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.includes('/mermaid/dist/') || !url.endsWith('.mjs') || result.source == null) return result;
  const src = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
  if (!src.includes(ORIGINAL)) return result;
  return { ...result, source: src.replace(ORIGINAL, MEMOIZED) };
}
