"""Resolve import specifiers (from `imports.py`) to files of the repository, building a file-level import graph.

Rules per language (a specifier that matches nothing, e.g. a third-party or standard-library module, adds no edge):
- TS/JS: relative specifiers only (`./x`, `../x`), tried as is, with `.ts .tsx .d.ts .js .jsx .mjs .cjs .json`,
  with a `.js`-family extension swapped for its TypeScript twin, and as `<dir>/index.<ext>`.
- Python: relative (`.x`, `..x.y`) from the importing package; absolute (`a.b`) against the source roots the
  importer can see: the repository root, `src/`, and each ancestor directory of the importer that is not itself a
  package. `x/__init__.py` stands for package `x`; `from pkg import a` targets `pkg/a.py` when `a` is a
  submodule and `pkg/__init__.py` otherwise (relative `from . import a` is recorded as `.a`, see imports.py).
- Go: the import path minus a `go.mod` module path is a package directory; every non-test `.go` file in it is a
  target.
- Java/Kotlin: `a.b.C` -> a file ending `a/b/C.java|.kt`; `a.b.*` -> the files of that directory; otherwise the
  files declaring package `a.b` that define `C`.
- C#: `using A.B` -> files declaring namespace `A.B`; an aliased type `A.B.C` -> files of `A.B` defining `C`.
- C/C++: `#include "x.h"` relative to the importer, then the shortest repository path ending `/x.h`.
- Rust: `crate::a::b`, `self::x`, `super::x` -> `a/b.rs`, `a/b/mod.rs` (longest module prefix that exists) under
  the crate's `src` directory (the nearest directory holding `lib.rs` or `main.rs`).
- Ruby: `./x` relative (+`.rb`); `x` -> `lib/x.rb`, `x.rb`, or a unique file ending `/x.rb`.
- PHP: namespaced names -> files declaring that namespace and class, else a case-insensitive path-suffix match
  (PSR-4); include paths relative to the importer, then the root.
- COBOL: copybook and program names -> files with that stem (case-insensitive) and a COBOL extension (a quoted
  `COPY "book.cpy"` names the file: its stem is the name).

What it deliberately does not do: read tsconfig `paths`, Python `sys.path` tweaks, Cargo workspaces or build files.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable

from wikigym.repos.parsing import ParsedFile

_TS_EXTS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".json")
_TS_TWINS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_COBOL_EXTS = (".cbl", ".cob", ".cobol", ".cpy", ".copy", "")


def _dirname(path: str) -> str:
    return posixpath.dirname(path)


def _join(base: str, rel: str) -> str | None:
    """Normalised repository-relative join; None when it leaves the repository."""
    joined = posixpath.normpath(posixpath.join(base, rel)) if base else posixpath.normpath(rel)
    if joined in (".", "..") or joined.startswith(("../", "/")):
        return None
    return joined


class ImportResolver:
    """Indexes a repository's files once, then resolves each file's imports.

    Args:
        files: repository-relative posix paths that may be import targets (the SemanticWiki inventory).
        parsed: parse results of those files (for package/namespace declarations).
        extra_files: other files that matter for resolution but are not targets (`go.mod`).
        read_text: reads a repository file (used for `go.mod`).
    """

    def __init__(self, files: Iterable[str], parsed: dict[str, ParsedFile], extra_files=(), read_text=None):
        self.files = set(files)
        self.parsed = parsed
        self.by_dir: dict[str, list[str]] = defaultdict(list)
        self.by_basename: dict[str, list[str]] = defaultdict(list)  # lower-cased basename -> paths
        self.by_stem: dict[str, list[str]] = defaultdict(list)  # upper-cased stem -> paths (COBOL)
        for path in sorted(self.files):
            self.by_dir[_dirname(path)].append(path)
            base = posixpath.basename(path)
            self.by_basename[base.lower()].append(path)
            self.by_stem[posixpath.splitext(base)[0].upper()].append(path)
        self._suffix_cache: dict[str, list[str]] = {}
        self.go_modules: list[tuple[str, str]] = []  # (module path, directory)
        for path in sorted(extra_files):
            if posixpath.basename(path) == "go.mod" and read_text is not None:
                module = _go_module_name(read_text(path))
                if module:
                    self.go_modules.append((module, _dirname(path)))
        self.declared: dict[str, list[str]] = defaultdict(list)  # package/namespace -> files
        self.defines: dict[str, set[str]] = {}
        for path, pf in parsed.items():
            self.defines[path] = {s.name for s in pf.symbols}
            for symbol in pf.symbols:
                if symbol.kind in ("package", "namespace"):
                    self.declared[symbol.name].append(path)
        self.packages = {_dirname(p) for p in self.files if posixpath.basename(p) == "__init__.py"}

    # -- helpers ----------------------------------------------------------------------------------------------------

    def _ending(self, suffix: str, case_insensitive: bool = False) -> list[str]:
        """Files whose path is `suffix` or ends with `/suffix`, shortest first."""
        key = ("i:" if case_insensitive else "s:") + suffix
        hit = self._suffix_cache.get(key)
        if hit is None:
            needle = suffix.lower() if case_insensitive else suffix
            hit = []
            # Only files with the same basename can end with the suffix: no scan of the whole repository.
            for path in self.by_basename.get(posixpath.basename(suffix).lower(), ()):
                candidate = path.lower() if case_insensitive else path
                if candidate == needle or candidate.endswith("/" + needle):
                    hit.append(path)
            hit.sort(key=lambda p: (p.count("/"), p))
            self._suffix_cache[key] = hit
        return hit

    def _first_existing(self, candidates: Iterable[str | None]) -> str | None:
        for candidate in candidates:
            if candidate is not None and candidate in self.files:
                return candidate
        return None

    # -- per language -----------------------------------------------------------------------------------------------

    def resolve(self, path: str, pf: ParsedFile) -> set[str]:
        """Repository files imported by `path` (never `path` itself)."""
        method = getattr(self, f"_{pf.language}", None)
        if method is None:
            return set()
        targets: set[str] = set()
        for spec in pf.imports:
            names = pf.import_names.get(spec) if pf.language == "python" else None
            if names:
                # `from pkg import a, b`: a submodule `pkg.a` is the target; any other name lives in `pkg` itself.
                submodules = [self._python_exact(path, f"{spec}.{name}") for name in names]
                for found in submodules:
                    targets.update(found)
                if all(submodules):
                    continue
            targets.update(method(path, spec))
        targets.discard(path)
        return targets

    def _typescript(self, path: str, spec: str) -> list[str]:
        if not spec.startswith("."):
            return []
        base = _join(_dirname(path), spec)
        if base is None:
            return []
        candidates = [base] + [base + ext for ext in _TS_EXTS]
        stem, ext = posixpath.splitext(base)
        candidates += [stem + twin for twin in _TS_TWINS.get(ext, ())]
        candidates += [f"{base}/index{ext}" for ext in _TS_EXTS]
        found = self._first_existing(candidates)
        return [found] if found else []

    _tsx = _typescript
    _javascript = _typescript

    def _python(self, path: str, spec: str) -> list[str]:
        if spec.startswith("."):
            level = len(spec) - len(spec.lstrip("."))
            base = _dirname(path)
            for _ in range(level - 1):
                if not base:
                    return []
                base = _dirname(base)
            rest = spec[level:]
            return self._python_module(base, rest.split(".") if rest else [])
        parts = spec.split(".")
        for root in self._python_roots(path):
            found = self._python_module(root, parts)
            if found:
                return found
        return []

    def _python_exact(self, path: str, spec: str) -> list[str]:
        """A module that exists exactly (no dropping of trailing names): `a.b` -> `a/b.py` or `a/b/__init__.py`."""
        parts = spec.split(".")
        for root in self._python_roots(path):
            stem = posixpath.join(root, *parts)
            found = self._first_existing([f"{stem}.py", posixpath.join(stem, "__init__.py")])
            if found:
                return [found]
        return []

    def _python_roots(self, path: str) -> list[str]:
        roots: list[str] = []
        directory = _dirname(path)
        while True:
            if directory not in self.packages and directory not in roots:
                roots.append(directory)
            if not directory:
                break
            directory = _dirname(directory)
        for extra in ("", "src"):
            if extra not in roots:
                roots.append(extra)
        return roots

    def _python_module(self, base: str, parts: list[str]) -> list[str]:
        """`base/a/b.py` or `base/a/b/__init__.py`, dropping trailing parts that are names, not modules."""
        while True:
            stem = posixpath.join(base, *parts) if parts else base
            found = self._first_existing([f"{stem}.py" if parts else None, posixpath.join(stem, "__init__.py")])
            if found:
                return [found]
            if len(parts) <= 1:
                return []
            parts = parts[:-1]

    def _go(self, path: str, spec: str) -> list[str]:
        for module, directory in self.go_modules:
            if spec == module or spec.startswith(module + "/"):
                rel = spec[len(module) :].lstrip("/")
                target_dir = posixpath.join(directory, rel) if rel else directory
                target_dir = posixpath.normpath(target_dir) if target_dir else ""
                target_dir = "" if target_dir == "." else target_dir
                return [p for p in self.by_dir.get(target_dir, []) if p.endswith(".go") and not p.endswith("_test.go")]
        return []

    def _java(self, path: str, spec: str) -> list[str]:
        wildcard = spec.endswith(".*")
        dotted = spec[:-2] if wildcard else spec
        parts = dotted.split(".")
        if wildcard:
            key = "dir:" + dotted
            if key not in self._suffix_cache:
                suffix = "/".join(parts)
                dirs = [d for d in self.by_dir if d == suffix or d.endswith("/" + suffix)]
                files = [p for d in dirs for p in self.by_dir[d] if p.endswith((".java", ".kt", ".kts"))]
                self._suffix_cache[key] = files or list(self.declared.get(dotted, []))
            return self._suffix_cache[key]
        for ext in (".java", ".kt"):
            hits = self._ending("/".join(parts) + ext)
            if hits:
                return hits[:1]
        package, _, name = dotted.rpartition(".")
        outer_package, _, outer_name = package.rpartition(".")  # static import: a.b.C.member
        for candidate_package, candidate_name in ((package, name), (outer_package, outer_name)):
            files = [p for p in self.declared.get(candidate_package, []) if candidate_name in self.defines.get(p, ())]
            if files:
                return files
        return []

    _kotlin = _java

    def _csharp(self, path: str, spec: str) -> list[str]:
        if spec in self.declared:
            return list(self.declared[spec])
        namespace, _, name = spec.rpartition(".")
        return [p for p in self.declared.get(namespace, []) if name in self.defines.get(p, ())]

    def _c(self, path: str, spec: str) -> list[str]:
        found = self._first_existing([_join(_dirname(path), spec)])
        if found:
            return [found]
        hits = self._ending(posixpath.normpath(spec))
        return hits[:1]

    _cpp = _c

    def _rust(self, path: str, spec: str) -> list[str]:
        parts = spec.split("::")
        head = parts[0]
        crate_dir = self._rust_crate_dir(path)
        if crate_dir is None:
            return []
        if head == "crate":
            base_dir, rest = crate_dir, parts[1:]
        elif head in ("self", "super"):
            base_dir = self._rust_module_dir(path, crate_dir)
            rest = parts[1:]
            while head == "super":
                base_dir = _dirname(base_dir) if base_dir != crate_dir else base_dir
                head, rest = (rest[0], rest[1:]) if rest and rest[0] == "super" else ("", rest)
        else:
            return []
        rest = [p for p in rest if p not in ("*", "self")]
        for n in range(len(rest), 0, -1):
            stem = posixpath.join(base_dir, *rest[:n]) if base_dir else posixpath.join(*rest[:n])
            found = self._first_existing([f"{stem}.rs", posixpath.join(stem, "mod.rs")])
            if found:
                return [found]
        return []

    def _rust_crate_dir(self, path: str) -> str | None:
        directory = _dirname(path)
        while True:
            if any(posixpath.join(directory, f) in self.files for f in ("lib.rs", "main.rs")):
                return directory
            if not directory:
                return None
            directory = _dirname(directory)

    @staticmethod
    def _rust_module_dir(path: str, crate_dir: str) -> str:
        """Directory holding the child modules of the module defined by `path`."""
        name = posixpath.basename(path)
        directory = _dirname(path)
        if name in ("mod.rs", "lib.rs", "main.rs"):
            return directory
        return posixpath.join(directory, name[:-3]) if directory else name[:-3]

    def _ruby(self, path: str, spec: str) -> list[str]:
        name = spec if spec.endswith(".rb") else spec + ".rb"
        if spec.startswith("."):
            found = self._first_existing([_join(_dirname(path), name)])
            return [found] if found else []
        found = self._first_existing([posixpath.join("lib", name), name])
        if found:
            return [found]
        hits = self._ending(name)
        return hits if len(hits) == 1 else []

    def _php(self, path: str, spec: str) -> list[str]:
        if spec.endswith(".php") or "/" in spec:
            rel = spec.removeprefix("./")
            found = self._first_existing([_join(_dirname(path), rel), _join("", rel.lstrip("/"))])
            return [found] if found else []
        namespace, _, name = spec.rpartition("\\")
        files = [p for p in self.declared.get(namespace, []) if name in self.defines.get(p, ())]
        if files:
            return files
        parts = spec.split("\\")
        for start in range(len(parts) - 1):
            hits = self._ending("/".join(parts[start:]) + ".php", case_insensitive=True)
            if hits:
                return hits[:1]
        return []

    def _cobol(self, path: str, spec: str) -> list[str]:
        spec = spec.strip("\"'")
        stem, ext = posixpath.splitext(posixpath.basename(spec))
        if ext.lower() in _COBOL_EXTS and ext:  # `COPY "xfhfcd3.cpy"`: a file name, not a copybook name
            spec = stem
        out = [p for p in self.by_stem.get(spec.upper(), ()) if posixpath.splitext(p)[1].lower() in _COBOL_EXTS]
        return sorted(out)[:1]


def _go_module_name(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("module "):
            return line.split(None, 1)[1].strip().strip('"')
    return None


def build_import_graph(resolver: ImportResolver, parsed: dict[str, ParsedFile]) -> dict[str, set[str]]:
    """Every parsed file mapped to the repository files it imports."""
    return {path: resolver.resolve(path, pf) for path, pf in sorted(parsed.items())}
