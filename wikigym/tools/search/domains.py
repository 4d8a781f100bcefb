"""SemanticWiki's business-domain hints: keyword tables, scoring, and the `domainContext` string.

Each chunk gets up to three `DomainHint`s from plain substring matches of 25 keyword lists against its lowercased
name, documentation, decorators and content (3 points for a name match, 2 for documentation, 1 otherwise;
confidence = min(score / 10, 1)). Hints above 0.3 become the `domainCategories` that search results print as
"Business Domains". The matching is deliberately as noisy as SemanticWiki's (`it`, `get`, `log` match nearly
everything), because the faithful profile must print the same domains.

What it deliberately does not do: improve the heuristics; the `accurate` profile reuses them unchanged so output
formats stay comparable.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from wikigym.tools.search.jsstr import JS_S_CLASS

# Category -> keywords, in SemanticWiki's declaration order (the order decides ties after sorting).
DOMAIN_KEYWORDS: dict[str, list[str]] = {
    "authentication": ["auth", "login", "logout", "signin", "signout", "password", "credential", "jwt", "token",
                       "oauth", "sso", "saml", "identity", "session",
                       "racf", "acf2", "topsecret", "signon", "logon", "userid", "passticket"],
    "authorization": ["permission", "role", "policy", "access", "authorize", "acl", "rbac", "scope", "claim", "grant",
                      "deny", "allowed", "forbidden",
                      "permit", "authority", "security-level", "access-level"],
    "user-management": ["user", "account", "profile", "member", "registration", "signup", "onboard", "invite", "team",
                        "organization",
                        "customer", "client", "cardholder", "employee", "personnel", "party"],
    "data-access": ["repository", "dao", "query", "database", "db", "sql", "orm", "entity", "schema", "migration",
                    "seed", "connection", "pool",
                    "vsam", "ksds", "esds", "rrds", "qsam", "bsam", "db2", "ims", "dli", "cics", "dataset",
                    "file-control", "select", "assign",
                    "read", "write", "rewrite", "delete", "start", "open", "close", "fetch", "cursor",
                    "working-storage", "linkage", "fd", "copybook"],
    "api-endpoint": ["endpoint", "route", "controller", "handler", "request", "response", "rest", "graphql", "api",
                     "http", "get", "post", "put", "delete", "patch",
                     "cics", "mq", "mqseries", "websphere", "commarea", "dfhcommarea", "eiblk", "exec-cics", "link",
                     "xctl", "return"],
    "business-logic": ["service", "domain", "workflow", "process", "rule", "calculation", "business", "logic",
                       "usecase", "interactor",
                       "compute", "calculate", "evaluate", "perform", "procedure", "paragraph", "section", "division",
                       "mainline",
                       "interest", "balance", "credit", "debit", "acct", "tran", "statement", "ledger"],
    "validation": ["validate", "validator", "schema", "constraint", "rule", "sanitize", "clean", "check", "verify",
                   "assert",
                   "edit", "numeric", "alphabetic", "inspect", "string", "unstring", "reference"],
    "error-handling": ["error", "exception", "catch", "throw", "handle", "fault", "failure", "recovery", "retry",
                       "fallback",
                       "abend", "abnormal", "file-status", "sqlcode", "sqlstate", "on-exception", "not-on-exception",
                       "invalid-key", "at-end"],
    "logging": ["log", "logger", "trace", "debug", "info", "warn", "error", "audit", "track", "telemetry", "metric",
                "monitor",
                "sysout", "sysprint", "display", "smf", "wto", "wtl", "journal"],
    "caching": ["cache", "redis", "memcache", "ttl", "invalidate", "store", "retrieve", "memo", "buffer",
                "ts-queue", "td-queue", "temp-storage", "transient-data"],
    "messaging": ["queue", "message", "event", "publish", "subscribe", "broker", "kafka", "rabbitmq", "bus",
                  "notification", "emit", "listener",
                  "mq", "mqget", "mqput", "mqopen", "mqclose", "cics-td", "cics-ts"],
    "scheduling": ["schedule", "cron", "job", "task", "timer", "interval", "background", "worker", "batch",
                   "recurring",
                   "jcl", "job", "step", "exec", "proc", "dd", "disp", "dsn", "joblib", "steplib", "sysin"],
    "file-handling": ["file", "upload", "download", "stream", "blob", "storage", "s3", "attachment", "document",
                      "media", "image",
                      "sequential", "indexed", "relative", "line-sequential", "record", "block", "recfm", "lrecl",
                      "blksize"],
    "payment": ["payment", "invoice", "billing", "subscription", "charge", "refund", "transaction", "order", "cart",
                "checkout", "stripe", "price",
                "card", "credit-card", "debit-card", "merchant", "acquirer", "issuer", "interchange", "settlement",
                "authorization",
                "cvv", "expiry", "pan", "account-number", "routing", "ach", "wire", "transfer", "amount", "currency",
                "fee", "interest-rate"],
    "notification": ["notify", "notification", "alert", "email", "sms", "push", "send", "template", "mail"],
    "search": ["search", "query", "filter", "sort", "index", "elastic", "fulltext", "find", "lookup", "autocomplete",
               "search-all", "search-when", "binary-search"],
    "analytics": ["analytics", "report", "metric", "dashboard", "chart", "aggregate", "statistics", "insight",
                  "tracking",
                  "report-writer", "control-break", "summary", "total", "subtotal", "grand-total"],
    "configuration": ["config", "setting", "option", "preference", "environment", "env", "constant", "feature",
                      "flag", "toggle",
                      "parm", "sysparm", "symbolic", "override", "include", "copy"],
    "testing": ["test", "spec", "mock", "stub", "fixture", "assert", "expect", "describe", "it", "beforeEach",
                "afterEach"],
    "infrastructure": ["deploy", "build", "ci", "docker", "kubernetes", "terraform", "aws", "azure", "gcp", "infra",
                       "devops",
                       "lpar", "sysplex", "coupling-facility", "gdg", "sms", "catalog", "vtoc"],
    "ui-component": ["component", "render", "view", "page", "layout", "widget", "modal", "form", "button", "input",
                     "table", "list",
                     "bms", "map", "mapset", "screen", "field", "attribute", "cursor", "dfhmsd", "dfhmdi", "dfhmdf"],
    "state-management": ["state", "store", "reducer", "action", "dispatch", "selector", "context", "provider", "atom",
                         "signal"],
    "routing": ["route", "router", "navigate", "redirect", "path", "url", "link", "history", "breadcrumb",
                "tranid", "transaction", "program", "xctl", "link", "return"],
    "middleware": ["middleware", "interceptor", "filter", "guard", "pipe", "transform", "before", "after", "around"],
    "utility": ["util", "helper", "common", "shared", "lib", "tool", "format", "parse", "convert", "transform",
                "date-convert", "string-util", "numeric-edit", "intrinsic", "function"],
}

# Every distinct keyword once. Keywords hold no whitespace or punctuation other than '-', so a keyword occurs in a
# text exactly when it occurs inside one of the text's "runs" (maximal stretches without those characters): presence
# is decided per distinct run, with a process-wide cache, instead of ~330 scans of every chunk.
_ALL_KEYWORDS = tuple(dict.fromkeys(k for ks in DOMAIN_KEYWORDS.values() for k in ks))
_KEYWORD_SET = frozenset(_ALL_KEYWORDS)
_MAX_KW = max(len(k) for k in _ALL_KEYWORDS)
RUN_SEPARATORS = JS_S_CLASS + r"!\"#$%&'()*+,./:;<=>?@\[\\\]^`{|}~"
RUNS = re.compile(f"[^{RUN_SEPARATORS}]{{2,}}")
_run_cache: dict[str, frozenset[str]] = {}


def _keywords_in_run(run: str) -> frozenset[str]:
    hit = _run_cache.get(run)
    if hit is None:
        n = len(run)
        if n <= 48:
            subs = {run[i:j] for i in range(n - 1) for j in range(i + 2, min(n, i + _MAX_KW) + 1)}
            hit = frozenset(subs & _KEYWORD_SET)
        else:
            hit = frozenset(k for k in _ALL_KEYWORDS if k in run)
        if len(_run_cache) > 1_000_000:
            _run_cache.clear()
        _run_cache[run] = hit
    return hit


def warm_runs(text_lower: str) -> None:
    """Fill the run cache for a whole file at once: one scan per keyword over the file's new distinct runs.

    Much cheaper than deciding runs one by one when a file brings many new identifiers.
    """
    new = [r for r in set(RUNS.findall(text_lower)) if r not in _run_cache]
    if len(new) < 64:
        return
    joined = " ".join(new)  # space never occurs in a run
    starts, pos = [], 0
    for r in new:
        starts.append(pos)
        pos += len(r) + 1
    hits: list[list[str]] = [[] for _ in new]
    n = len(new)
    for kw in _ALL_KEYWORDS:
        i = joined.find(kw)
        while i >= 0:
            rid = bisect.bisect_right(starts, i) - 1
            hits[rid].append(kw)
            if rid + 1 >= n:
                break
            i = joined.find(kw, starts[rid + 1])
    if len(_run_cache) > 1_000_000:
        _run_cache.clear()
    for r, h in zip(new, hits):
        _run_cache[r] = frozenset(h)


def keywords_present(text_lower: str) -> set[str]:
    """The domain keywords that occur (as substrings) in an already lowercased text."""
    out: set[str] = set()
    for run in set(RUNS.findall(text_lower)):
        hit = _keywords_in_run(run)
        if hit:
            out |= hit
    return out


def infer_domain_hints(name: str, documentation: str | None, decorators: list[str], content: str) -> list[dict]:
    """SemanticWiki's `inferDomainHints`: at most three `{category, confidence, source, keywords}` records.

    Example:
        >>> [h["category"] for h in infer_domain_hints("UserService", None, [], "")]
        ['user-management', 'business-logic']
    """
    search_text = f"{name} {documentation or ''} {' '.join(decorators)} {content}".lower()
    present = keywords_present(search_text)
    if not present:
        return []
    name_l = name.lower()
    doc_l = documentation.lower() if documentation else None
    hints: list[dict[str, Any]] = []
    for category, keywords in DOMAIN_KEYWORDS.items():
        matched: list[str] = []
        score = 0
        for kw in keywords:
            if kw in present:
                matched.append(kw)
                if kw in name_l:
                    score += 3
                elif doc_l is not None and kw in doc_l:
                    score += 2
                else:
                    score += 1
        if matched:
            first = matched[0]
            if first in name_l:
                source = "name"
            elif doc_l is not None and first in doc_l:
                source = "documentation"
            else:
                source = "content"
            hints.append({"category": category, "confidence": min(score / 10, 1), "source": source,
                          "keywords": matched})
    hints.sort(key=lambda h: -h["confidence"])  # stable, like V8's Array.prototype.sort
    return hints[:3]


def domain_categories(hints: list[dict] | None) -> list[str] | None:
    """`domainHints?.filter(h => h.confidence > 0.3).map(h => h.category)` (None stays None)."""
    if hints is None:
        return None
    return [h["category"] for h in hints if h["confidence"] > 0.3]


def generate_domain_context(chunk: dict) -> str:
    """SemanticWiki's `generateDomainContext`: `[TYPE] name in Parent (domains) - signature`.

    Example:
        >>> generate_domain_context({"chunkType": "method", "name": "get", "parentName": "Repo",
        ...                          "domainHints": [{"category": "data-access", "confidence": 0.4}]})
        '[METHOD] get in Repo (data access)'
    """
    parts: list[str] = []
    ctype = chunk.get("chunkType")
    if ctype != "unknown" and ctype != "file":
        parts.append(f"[{str(ctype).upper()}]")
    if chunk.get("name"):
        parts.append(chunk["name"])
    if chunk.get("parentName"):
        parts.append(f"in {chunk['parentName']}")
    hints = chunk.get("domainHints")
    if hints:
        domains = ", ".join(h["category"].replace("-", " ", 1) for h in hints if h["confidence"] > 0.3)
        if domains:
            parts.append(f"({domains})")
    if chunk.get("signature"):
        parts.append(f"- {chunk['signature']}")
    return " ".join(parts)
