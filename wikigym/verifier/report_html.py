"""A self-contained HTML report of a `Score`: per-page scores, findings beside the page text, diagrams rendered.

Readable offline: no CDN, no external file. Mermaid's browser build (`node_modules/mermaid/dist/mermaid.min.js`) is
inlined into the page at report time so diagrams render in any browser; without it the diagrams stay as source and
the report says why. Page text is shown as numbered source lines, with each finding under the line it names and
page-wide findings on top.

What it does not do: render Markdown prose (the point is to see exactly what the model wrote).
"""

from __future__ import annotations

import html
import zlib
from pathlib import Path

from wikigym.verifier.mermaid import find_node_modules
from wikigym.verifier.model import Score
from wikigym.verifier.wiki import Wiki

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px}table{border-collapse:collapse;background:#fff}td,th{padding:4px 10px;border:1px solid #dde}
.bar{display:inline-block;height:10px;background:#3c8d5a;vertical-align:middle}
.bad{color:#b3261e}.ok{color:#2e7d32}section.page{background:#fff;margin:18px 0;padding:10px 14px;border:1px solid #dde}
pre.src{margin:0;font:12px/1.4 ui-monospace,monospace;white-space:pre-wrap}
.ln{color:#999;display:inline-block;width:3.5em;user-select:none}
.finding{background:#fdecea;border-left:3px solid #b3261e;margin:2px 0 2px 3.5em;padding:2px 8px;font:12px system-ui}
.finding b{color:#b3261e}.mermaid{background:#fafbff;border:1px dashed #99a;margin:4px 0 4px 3.5em;padding:6px}
details{margin:6px 0}summary{cursor:pointer}
"""


def _mermaid_js() -> str | None:
    nm = find_node_modules()
    if nm is None:
        return None
    path = nm / "mermaid" / "dist" / "mermaid.min.js"
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def render_report(wiki: Wiki, score: Score, title: str = "wikigym verify") -> str:
    """The report as one HTML string."""
    e = html.escape
    js = _mermaid_js()
    out = [(f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{CSS}</style>"
            "</head><body>"), f"<header><h1>{e(title)}</h1><div>reward <b>{score.reward:.4f}</b> "
           f"(weights {e(score.weights_version)})" + (f" &mdash; <b>GATE: {e(score.gate)}</b>" if score.gate else "")
           + "</div></header><main>"]
    if js is None:
        out.append("<p class='bad'>Diagrams are shown as source: mermaid's browser build was not found (run "
                   "<code>npm ci</code> in the wikigym checkout or set WIKIGYM_NODE_MODULES).</p>")
    out.append("<h2>Checks</h2><table><tr><th>check</th><th>score</th><th></th><th>deduction</th><th>findings</th></tr>")
    ded = {d.check: d.label.strip() for d in score.deductions}
    for name, res in score.checks.items():
        if not res.applicable:
            out.append(f"<tr><td>{e(name)}</td><td colspan=4>n/a</td></tr>")
            continue
        out.append(f"<tr><td>{e(name)}</td><td>{res.score:.4f}</td><td><span class='bar' style='width:"
                   f"{int(res.score * 120)}px'></span></td><td>{ded.get(name, '0.0000')}</td>"
                   f"<td>{len(res.findings)}" + (f" <span class='bad'>{e(res.error)}</span>" if res.error else "")
                   + "</td></tr>")
    out.append("</table>")
    wiki_wide = [(n, f) for n, r in score.checks.items() for f in r.findings if not f.page or f.page not in
                 wiki.by_path]
    if wiki_wide:
        out.append(f"<details open><summary>Wiki-wide findings ({len(wiki_wide)})</summary>")
        for n, f in wiki_wide:
            where = f"{f.page} " if f.page else ""
            out.append(f"<div class='finding'><b>{e(n)}</b> {e(where)}{e(f.what)} &mdash; {e(f.why)}</div>")
        out.append("</details>")
    per_page = score.stats.get("per_page", {})
    out.append("<h2>Pages</h2><table><tr><th>page</th><th>score</th><th>words</th><th>citations</th>"
               "<th>diagrams</th><th>findings</th></tr>")
    for p in wiki.pages:
        info = per_page.get(p.path, {})
        n_f = sum(info.get("findings", {}).values())
        anchor = f"p-{zlib.crc32(p.path.encode()):08x}"
        cls = "ok" if n_f == 0 else "bad"
        out.append(f"<tr><td><a href='#{anchor}'>{e(p.path)}</a></td><td class='{cls}'>{info.get('score', 0):.2f}</td>"
                   f"<td>{p.words}</td><td>{info.get('citations', 0)}</td><td>{len(p.mermaid)}</td><td>{n_f}</td></tr>")
    out.append("</table>")
    for p in wiki.pages:
        anchor = f"p-{zlib.crc32(p.path.encode()):08x}"
        findings = [(n, f) for n, r in score.checks.items() for f in r.findings if f.page == p.path]
        by_line: dict[int, list] = {}
        top = []
        for n, f in findings:
            (by_line.setdefault(f.line, []) if f.line else top).append((n, f))
        out.append(f"<section class='page' id='{anchor}'><h3>{e(p.path)}</h3>")
        for n, f in top:
            out.append(f"<div class='finding' style='margin-left:0'><b>{e(n)}</b> {e(f.what)} &mdash; {e(f.why)}</div>")
        out.append("<pre class='src'>")
        ends = {b.end: b for b in p.mermaid if b.end}
        for i, line in enumerate(p.lines, 1):
            out.append(f"<span class='ln'>{i}</span>{e(line)}\n")
            for n, f in by_line.get(i, []):
                out.append(f"</pre><div class='finding'><b>{e(n)}</b> {e(f.what)} &mdash; {e(f.why)}</div>"
                           "<pre class='src'>")
            if i in ends and js is not None:
                out.append(f"</pre><div class='mermaid'>{e(ends[i].code)}</div><pre class='src'>")
        out.append("</pre></section>")
    out.append("</main>")
    if js is not None:
        out.append(f"<script>{js}</script><script>mermaid.initialize({{startOnLoad:true,securityLevel:'strict'}});"
                   "</script>")
    out.append("</body></html>")
    return "".join(out)


def write_report(path: Path | str, wiki: Wiki, score: Score, title: str = "wikigym verify") -> Path:
    """Write the HTML report to `path` (parent directories created).

    Raises OutputPathError (one line naming the path and the fix) when the path cannot be written: a directory, a
    path under a file, a read-only place.
    """
    from wikigym.errors import OutputPathError, check_output_file, make_output_dir

    p = check_output_file(path, "--html")
    make_output_dir(p.parent, "--html directory")
    try:
        p.write_text(render_report(wiki, score, title), encoding="utf-8")
    except OSError as e:
        raise OutputPathError(f"--html {p} cannot be written ({e.strerror or type(e).__name__}); pass a writable "
                              f"file path") from None
    return p
