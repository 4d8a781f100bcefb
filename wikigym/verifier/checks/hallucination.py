"""hallucination: backticked identifiers and paths in the prose that exist nowhere in the repository.

Every inline code span in prose (not fences, not citations: those belong to the citations check) is classified:
- a path (has a `/`, or ends in a file extension): it must name a repo file or directory (exactly, or as the unique
  file ending with it, e.g. `auth.py` for `src/auth.py`), or a wiki page; globs are not judged;
- an identifier (`name`, `a.b.c`, `A::b`, `f()`): every dotted part must occur somewhere in the repo
  (`RepoIndex.known_names`: all words of all text files, file names); language keywords are not judged;
- anything else (commands, expressions, values) is not judged.
Score = 1 - invented / judged (1 when nothing is judged).
"""

from __future__ import annotations

import re

from wikigym.verifier.checks.citations import BACKTICK_CITE_RE, IDENT_RE
from wikigym.verifier.model import CheckResult, Finding
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.wiki import Wiki

PATH_RE = re.compile(r"^\.{0,2}/?[\w@.+-]+(?:/[\w@.+-]+)*/?$")
EXT_RE = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}$")
# Words every language or doc uses that a repo need not contain; judging them would only add noise.
COMMON = frozenset("""
true false null none nil undefined self this super cls int str bool float double string number void any object
list dict tuple set map array boolean char byte long short unsigned const let var def func fn function class struct
enum interface type return async await yield import export from require main init new delete static public private
protected if else for while do switch case break continue try catch finally throw raise pass lambda and or not is in
of print println console log stdin stdout stderr argv env path json yaml toml http https api url uri id ok err error
npm pip node python go rust java javascript typescript git make docker utf utf8 ascii sql get post put patch head
""".split())


def classify(token: str) -> str | None:
    """'path', 'ident', or None (not judged).

    >>> [classify(t) for t in ("src/app.py", "app.py", "Foo.bar()", "npm run build", "x = 1", "*.md")]
    ['path', 'path', 'ident', None, None, None]
    """
    t = token.strip()
    if not t or " " in t or "*" in t or "://" in t or t.startswith("-"):
        return None
    if "/" in t:
        return "path" if PATH_RE.match(t) else None
    if IDENT_RE.match(t):
        stem = t.removesuffix("()")
        if stem == t and stem.count(".") == 1 and stem.rsplit(".", 1)[1].lower() in _FILE_EXTS:
            return "path"  # `app.py`, `README.md`; `os.path` and `resp.json()` stay identifiers
        return "ident"
    if EXT_RE.search(t) and PATH_RE.match(t):
        return "path"
    return None


_FILE_EXTS = frozenset("""py pyx ts tsx js jsx mjs cjs go rs java kt scala rb php c h cpp hpp cc cs swift vue svelte
json yaml yml toml md mdx txt ini cfg env lock sh bash zsh ps1 bat sql xml html css scss less gradle mod sum proto
graphql cbl cob cpy jcl""".split())


def _path_known(token: str, repo: RepoIndex, wiki: Wiki) -> bool:
    t = token.strip().rstrip("/")
    while t.startswith("./"):
        t = t[2:]
    t = t.lstrip("/")
    if not t or t in (".", ".."):
        return True
    if t.startswith("../"):
        return True  # a page-relative path: the links and citations checks judge those
    if t in repo.dirs or repo.find_path(t) is not None or t in wiki.by_path:
        return True
    if any(d == t or d.endswith("/" + t) for d in repo.dirs):
        return True
    return t.endswith(".md") and any(p.endswith(t) for p in wiki.by_path)


def _ident_known(token: str, repo: RepoIndex) -> bool:
    parts = [p for p in re.split(r"\.|::|#", token.strip().removesuffix("()")) if p]
    known = repo.known_names
    return all(p in known or p.lower() in COMMON for p in parts)


def check_hallucination(wiki: Wiki, repo: RepoIndex, cfg: dict | None = None) -> CheckResult:
    """Share of judged backticked names and paths that exist in the repo.

    >>> from wikigym.verifier.checks._doctest import tiny_repo
    >>> repo = tiny_repo({"src/app.py": "def serve(port):\\n    return port\\n"})
    >>> w = Wiki.from_files({"a.md": "`serve()` in `src/app.py` uses `port`; `FluxCapacitor` is in `src/flux.py`."})
    >>> res = check_hallucination(w, repo)
    >>> res.score, [f.what for f in res.findings]
    (0.6, ['invented identifier `FluxCapacitor`', 'invented path `src/flux.py`'])
    """
    findings: list[Finding] = []
    judged = invented = 0
    for page in wiki.pages:
        for line, _, token in page.inline_code:
            if BACKTICK_CITE_RE.fullmatch(f"`{token}`"):
                continue
            kind = classify(token)
            if kind is None:
                continue
            if kind == "ident" and (len(token) <= 2 or token.lower() in COMMON):
                continue
            judged += 1
            # A one-dot "path" such as `response.json` may be an attribute: known parts are enough.
            ok = (_path_known(token, repo, wiki) or ("/" not in token and _ident_known(token, repo))
                  if kind == "path" else _ident_known(token, repo))
            if not ok:
                invented += 1
                what = f"invented {'path' if kind == 'path' else 'identifier'} `{token}`"
                why = ("no file or directory in the repository has this path" if kind == "path"
                       else "this name occurs nowhere in the repository (code, config or file names)")
                findings.append(Finding(page.path, line, what, why))
    score = 1 - invented / judged if judged else 1.0
    return CheckResult("hallucination", score, findings, {"judged": judged, "invented": invented})
