"""The scripted teacher on small repositories that reproduce what real code in many languages looks like.

Each test here comes from a problem seen on real third-party code (npm packages, Debian's Go/Rust/Ruby/PHP/C/C++/
Java/Kotlin/C# sources, GnuCOBOL): the repositories are written here, small, with the same shape as the code that
showed the problem, and run through the same `record.run_episode` path as `wikigym record`.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.simulator.test_scripted import _check_citations, _episode, _write
from wikigym.simulator.teacher.facts import _module_doc, clean_doc
from wikigym.verifier.wiki import Wiki

_GO_LICENSE = """
    // Copyright 2013-2022 The Flagset Authors. All rights reserved.
    // Use of this source code is governed by a BSD-style
    // license that can be found in the LICENSE file.

"""


def _prose(wiki: dict[str, str]) -> list[tuple[str, int, str]]:
    """(page, line, text) of every prose line (frontmatter and code fences excluded)."""
    out = []
    for page, text in wiki.items():
        if page.endswith(".md"):
            for n, line in Wiki.from_files({page: text}).pages[0].prose:
                out.append((page, n, line))
    return out


def _assert_clean(ep, repo: Path) -> None:
    checks = ep.score["checks"]
    assert ep.score["reward"] >= 0.9, {k: (v["score"], v["findings"][:3]) for k, v in checks.items()}
    assert checks["links"]["stats"]["broken_links"] == 0
    assert checks["citations"]["stats"]["valid"] == checks["citations"]["stats"]["total"] > 0
    assert checks["hallucination"]["stats"]["invented"] == 0, checks["hallucination"]["findings"]
    assert _check_citations(ep.wiki, repo) == []


def licensed_go_repo(root: Path) -> Path:
    """A flat Go package whose files all start with a licence header; the package comment is in doc.go."""
    lic = _GO_LICENSE
    return _write(root, {
        "go.mod": "module example.com/flagset\n\ngo 1.21\n",
        "doc.go": lic + """
            // Package flagset parses POSIX-style command-line flags into typed values.
            package flagset
            """,
        "flag.go": lic + """
            package flagset

            import "fmt"

            // Value is the interface to the dynamic value stored in a flag.
            type Value interface {
            \tString() string
            \tSet(string) error
            }

            // FlagSet is a set of defined flags.
            type FlagSet struct {
            \tname  string
            \tflags map[string]Value
            }

            // NewFlagSet returns a new, empty flag set with the given name.
            func NewFlagSet(name string) *FlagSet {
            \treturn &FlagSet{name: name, flags: map[string]Value{}}
            }

            // Var defines a flag with the given name and value.
            func (f *FlagSet) Var(v Value, name string) {
            \tf.flags[name] = v
            }

            // Set sets the value of the named flag.
            func (f *FlagSet) Set(name, value string) error {
            \tv, ok := f.flags[name]
            \tif !ok {
            \t\treturn fmt.Errorf("no such flag -%v", name)
            \t}
            \treturn v.Set(value)
            }
            """,
        "bool_slice.go": lic + """
            package flagset

            import "strings"

            // boolSliceValue holds a []bool flag.
            type boolSliceValue struct {
            \tvalue   *[]bool
            \tchanged bool
            }

            // Set parses a comma-separated list of booleans.
            func (s *boolSliceValue) Set(val string) error {
            \tfor _, v := range strings.Split(val, ",") {
            \t\t*s.value = append(*s.value, v == "true")
            \t}
            \ts.changed = true
            \treturn nil
            }

            // String renders the list.
            func (s *boolSliceValue) String() string {
            \treturn "[]"
            }

            // BoolSliceVar defines a []bool flag with specified name in the flag set.
            func (f *FlagSet) BoolSliceVar(p *[]bool, name string) {
            \tf.Var(&boolSliceValue{value: p}, name)
            }
            """,
        "string_map.go": lic + """
            package flagset

            import "strings"

            // stringMapValue holds a map[string]string flag.
            type stringMapValue struct {
            \tvalue *map[string]string
            }

            // Set parses key=value pairs.
            func (s *stringMapValue) Set(val string) error {
            \tfor _, kv := range strings.Split(val, ",") {
            \t\tparts := strings.SplitN(kv, "=", 2)
            \t\t(*s.value)[parts[0]] = parts[1]
            \t}
            \treturn nil
            }

            // String renders the map.
            func (s *stringMapValue) String() string {
            \treturn "map[]"
            }

            // StringToStringVar defines a map[string]string flag with specified name.
            func (f *FlagSet) StringToStringVar(p *map[string]string, name string) {
            \tf.Var(&stringMapValue{value: p}, name)
            }
            """,
    })


def test_licence_headers_are_not_descriptions_and_brackets_survive(tmp_path: Path) -> None:
    """Real Go, C++, JS and PHP files open with a licence header: it was quoted as the module's purpose
    ("**Business Problem**: Copyright 2009 The Go Authors."); `[]bool` in a doc comment became `()bool`."""
    repo = licensed_go_repo(tmp_path / "flagset")
    ep = _episode(repo, tmp_path / "run")
    _assert_clean(ep, repo)
    prose = _prose(ep.wiki)
    assert not [x for x in prose if re.search(r"Copyright|All rights reserved|BSD-style", x[2])]
    assert any("parses POSIX-style command-line flags into typed values" in x[2] for x in prose)
    assert not any("()bool" in x[2] or "map(string)" in x[2] for x in prose)


def test_clean_doc_skips_licences_badges_and_keeps_brackets_link_safe() -> None:
    assert clean_doc("/*!\n * express\n * Copyright(c) 2009-2013 TJ Holowaychuk\n * MIT Licensed\n */") == ""
    assert clean_doc("// Copyright 2012 The Gorilla Authors. All rights reserved.\n\n"
                     "// Package mux implements a request router.") == "Package mux implements a request router."
    assert clean_doc("//! [![github]](https://github.com/x/y)\n//!\n//! [github]: https://img.shields.io/x\n//!\n"
                     "//! This library provides [`anyhow::Error`][Error], a trait object.") == \
        "This library provides 'anyhow::Error', a trait object."
    header = "/*\n  Copyright (c) 2009-2017 Dave Gamble\n  Permission is hereby granted, free of charge\n*/\n\n"
    assert _module_doc("cJSON.c", header + "/* cJSON */\n/* JSON parser in C. */\n#include <string.h>\n") == \
        "JSON parser in C."
    assert _module_doc("lib.rs", "//! > Command Line Argument Parser for Rust\n#![no_std]\n") == \
        "Command Line Argument Parser for Rust."
    assert clean_doc("Defines a []bool flag, see map[string]int.") == "Defines a []bool flag, see map[string]int."
    # Bracket pairs that would read as a link (`[a](b)`, `[[a]]`) are split; link text is kept.
    assert clean_doc("Reads [[config]] tables; see [the docs](guide.md).") == "Reads [ [config] ] tables; see the docs."
    assert clean_doc("Returns x.") == "Returns x." and clean_doc("Foo.") == "Foo."
    # A developer note is not a description (rxjs: 'TODO: When this enum is removed, ...' became a glossary entry,
    # which reads as an unfinished page).
    assert clean_doc("// TODO: When this enum is removed, replace it with a type alias.") == ""
    assert clean_doc("/**\n * TODO: remove.\n *\n * Kinds of notification.\n */") == "Kinds of notification."
    assert clean_doc("Parses input (FIXME: slow).") == ""
    # Code in docs keeps its brackets and stars (gorilla/mux: '(*url.URL).Query()[key][0]' became
    # '(url.URL).Query()key'); authorship lines are not descriptions (rack: 'AUTHOR: blink <blinketje@...>').
    assert clean_doc("Returns the same result as (*url.URL).Query()[key][0].") == \
        "Returns the same result as (\\*url.URL).Query()[key][0]."
    assert clean_doc("A **bold** claim about *emphasis*.") == "A bold claim about emphasis."
    assert clean_doc("AUTHOR: blink <blinketje@gmail.com>; bugrep: Andreas\n\nKeeps sessions in a pool.") == \
        "Keeps sessions in a pool."
    assert clean_doc("// Type definitions for commander\n// Original definitions by: Alan Agius <https://github.com/x>") \
        == "Type definitions for commander."


def attributes_cpp_repo(root: Path) -> Path:
    """C++ with `[[nodiscard]]` attributes and a bash completion script in a raw string (`[[ -n ${X:-} ]]`): code
    that SemanticWiki's completeness check reads as wiki links, even inside code fences."""
    return _write(root, {
        "README.md": "# lru\n\nA small least-recently-used cache with a shell completion generator.\n",
        "include/lru/cache.hpp": """
            #pragma once
            #include <list>
            #include <string>
            #include <unordered_map>

            namespace lru {

            /// A fixed-capacity cache that evicts the least recently used entry.
            class Cache {
             public:
              explicit Cache(std::size_t capacity);
              [[nodiscard]] bool contains(const std::string& key) const;
              [[nodiscard]] std::size_t size() const;
              void put(const std::string& key, const std::string& value);
              [[nodiscard]] std::string get(const std::string& key);

             private:
              std::size_t capacity_;
              std::list<std::string> order_;
              std::unordered_map<std::string, std::string> values_;
            };

            }  // namespace lru
            """,
        "src/cache.cpp": """
            #include "lru/cache.hpp"

            namespace lru {

            Cache::Cache(std::size_t capacity) : capacity_(capacity) {}

            [[nodiscard]] bool Cache::contains(const std::string& key) const {
              return values_.find(key) != values_.end();
            }

            [[nodiscard]] std::size_t Cache::size() const {
              return values_.size();
            }

            void Cache::put(const std::string& key, const std::string& value) {
              if (values_.size() >= capacity_ && !contains(key)) {
                values_.erase(order_.back());
                order_.pop_back();
              }
              order_.push_front(key);
              values_[key] = value;
            }

            [[nodiscard]] std::string Cache::get(const std::string& key) {
              order_.remove(key);
              order_.push_front(key);
              return values_[key];
            }

            }  // namespace lru
            """,
        "src/completion.cpp": """
            #include <string>
            #include "lru/cache.hpp"

            namespace lru {

            // Writes the bash completion script for the lru command.
            std::string bashCompletion(const std::string& name) {
              std::string script = R"(
            __lru_debug()
            {
                if [[ -n ${BASH_COMP_DEBUG_FILE:-} ]]; then
                    echo "$*" >> "${BASH_COMP_DEBUG_FILE}"
                fi
            }
            )";
              return "# completion for " + name + script;
            }

            // Counts the cached keys for the completion header.
            std::size_t completionKeys(Cache& cache) {
              return cache.size();
            }

            }  // namespace lru
            """,
        "src/main.cpp": """
            #include <iostream>
            #include "lru/cache.hpp"

            std::string bashCompletion(const std::string& name);

            int main(int argc, char** argv) {
              lru::Cache cache(2);
              cache.put("a", "1");
              std::cout << cache.get("a") << std::endl;
              if (argc > 1) std::cout << bashCompletion(argv[1]);
              return 0;
            }
            """,
    })


def test_code_that_looks_like_wiki_links_never_becomes_a_page(tmp_path: Path) -> None:
    """Snippets with `[[nodiscard]]` or bash `[[ -n $X ]]` made SemanticWiki report `nodiscard.md` and
    `-n ${BASH_COMP_DEBUG_FILE:-}.md` as missing, and the teacher wrote pages under those names."""
    from wikigym.tools.completeness import verify_completeness

    repo = attributes_cpp_repo(tmp_path / "lru")
    ep = _episode(repo, tmp_path / "run")
    _assert_clean(ep, repo)
    pages = [p for p in ep.wiki if p.endswith(".md")]
    assert all(re.fullmatch(r"[a-z0-9/_.-]+\.md", p, re.IGNORECASE) for p in pages), pages
    wiki_dir = tmp_path / "wiki"
    _write(wiki_dir, {p: t for p, t in ep.wiki.items() if p.endswith(".md")})
    report = verify_completeness(wiki_dir)
    assert report["isComplete"], report["brokenLinks"]
    assert "[[" not in "".join(ep.wiki.values())
    # The attributed definitions are still shown: the snippet starts after the attribute line or stops before it.
    assert "Cache::size" in "".join(ep.wiki.values()) or "size()" in "".join(ep.wiki.values())


def test_flat_go_package_shows_same_package_dependencies(tmp_path: Path) -> None:
    """Files of one Go package use each other's definitions without importing them: the import graph of a flat
    package (spf13/pflag, gorilla/mux) is empty, so the wiki said the components 'do not import each other; each can
    be read on its own', drew diagrams without a single edge, and found no call chain across files."""
    repo = licensed_go_repo(tmp_path / "flagset")
    ep = _episode(repo, tmp_path / "run")
    _assert_clean(ep, repo)
    overview = ep.wiki["architecture/overview.md"]
    assert "Independent components" not in overview
    m = re.search(r"`bool_slice\.go` uses `(\w+)`, defined in `flag\.go`, at `bool_slice\.go:(\d+)`", overview)
    assert m, overview
    line = (repo / "bool_slice.go").read_text().split("\n")[int(m.group(2)) - 1]
    assert m.group(1) in line and not line.lstrip().startswith("//")
    assert re.search(r'n_bool_slice -->\|"uses"\| n_flag', overview)
    bool_page = next(t for p, t in ep.wiki.items() if p.startswith("components/bool-slice"))
    assert "depends on no other module" not in bool_page and "self-contained" not in bool_page
    assert ep.score["checks"]["mermaid"]["stats"]["valid"] == ep.score["checks"]["mermaid"]["stats"]["diagrams"] >= 3


def _fixed(text: str) -> str:
    """Fixed-format COBOL from lines written as `|` + columns 1-72 (dedent would eat the sequence area)."""
    return "\n".join(line.split("|", 1)[1] if "|" in line else "" for line in text.strip("\n").split("\n")) + "\n"


def cobol_batch_repo(root: Path) -> Path:
    """A GnuCOBOL batch: a driver CALLs three subprograms, copybooks hold the records (dialect features included)."""
    files = {
        "README.md": "# paybatch\n\nA nightly payment batch in COBOL: validate, post and report the day's payments.\n",
        "copybooks/PAYREC.cpy": """
            |      *> Payment record shared by every program.
            |       01  PAY-RECORD.
            |           05  PAY-ACCOUNT         PIC X(10).
            |           05  PAY-AMOUNT          PIC S9(9)V99.
            |           05  PAY-DATE            PIC 9(8).
            """,
        "copybooks/TOTALS.cpy": """
            |      *> Run totals passed from the driver to the report.
            |       01  RUN-TOTALS.
            |           05  TOT-READ            PIC 9(7) VALUE ZERO.
            |           05  TOT-POSTED          PIC 9(7) VALUE ZERO.
            |           05  TOT-AMOUNT          PIC S9(13)V99 VALUE ZERO.
            """,
        "src/PAYMAIN.cbl": """
            |       IDENTIFICATION DIVISION.
            |       PROGRAM-ID. PAYMAIN.
            |      *> Nightly driver: read each payment, validate it, post it, print the totals.
            |       ENVIRONMENT DIVISION.
            |       INPUT-OUTPUT SECTION.
            |       FILE-CONTROL.
            |           SELECT PAY-FILE ASSIGN TO 'PAYIN'
            |               ORGANIZATION IS LINE SEQUENTIAL.
            |       DATA DIVISION.
            |       FILE SECTION.
            |       FD  PAY-FILE.
            |       01  PAY-LINE                PIC X(29).
            |       WORKING-STORAGE SECTION.
            |       COPY PAYREC.
            |       COPY TOTALS.
            |       01  WS-EOF                  PIC X VALUE 'N'.
            |           88  END-OF-FILE         VALUE 'Y'.
            |       01  WS-VALID                PIC X VALUE 'N'.
            |       PROCEDURE DIVISION.
            |       MAIN-PROCEDURE.
            |           ACCEPT WS-EOF FROM ENVIRONMENT 'PAY_SKIP'
            |           PERFORM OPEN-INPUT
            |           PERFORM PROCESS-PAYMENT UNTIL END-OF-FILE
            |           PERFORM FINISH-RUN
            |           STOP RUN.

            |      *> Opens the payment file and reads the first record.
            |       OPEN-INPUT.
            |           OPEN INPUT PAY-FILE
            |           PERFORM READ-NEXT.

            |      *> Validates and posts one payment, then reads the next one.
            |       PROCESS-PAYMENT.
            |           ADD 1 TO TOT-READ
            |           MOVE PAY-LINE TO PAY-RECORD
            |           CALL 'PAYCHECK' USING PAY-RECORD WS-VALID
            |           IF WS-VALID = 'Y'
            |               CALL 'PAYPOST' USING PAY-RECORD
            |               ADD 1 TO TOT-POSTED
            |               ADD PAY-AMOUNT TO TOT-AMOUNT
            |           END-IF
            |           PERFORM READ-NEXT.

            |       READ-NEXT.
            |           READ PAY-FILE
            |               AT END SET END-OF-FILE TO TRUE
            |           END-READ.

            |      *> Closes the file and prints the run totals.
            |       FINISH-RUN.
            |           CLOSE PAY-FILE
            |           CALL 'PAYRPT' USING RUN-TOTALS.
            """,
        "src/PAYCHECK.cbl": """
            |       IDENTIFICATION DIVISION.
            |       PROGRAM-ID. PAYCHECK.
            |      *> Checks one payment: positive amount and a plausible date.
            |       DATA DIVISION.
            |       LINKAGE SECTION.
            |       COPY PAYREC.
            |       01  LS-VALID                PIC X.
            |       PROCEDURE DIVISION USING PAY-RECORD LS-VALID.
            |       CHECK-PAYMENT.
            |           MOVE 'Y' TO LS-VALID
            |           PERFORM CHECK-AMOUNT
            |           PERFORM CHECK-DATE
            |           GOBACK.

            |       CHECK-AMOUNT.
            |           IF PAY-AMOUNT NOT > ZERO
            |               MOVE 'N' TO LS-VALID
            |           END-IF.

            |      *> A date is plausible when its month is 01 to 12.
            |       CHECK-DATE.
            |           IF PAY-DATE(5:2) < '01' OR PAY-DATE(5:2) > '12'
            |               MOVE 'N' TO LS-VALID
            |           END-IF.
            """,
        "src/PAYPOST.cbl": """
            |       IDENTIFICATION DIVISION.
            |       PROGRAM-ID. PAYPOST.
            |      *> Appends a validated payment to the ledger file.
            |       ENVIRONMENT DIVISION.
            |       INPUT-OUTPUT SECTION.
            |       FILE-CONTROL.
            |           SELECT LEDGER ASSIGN TO 'LEDGER'
            |               ORGANIZATION IS LINE SEQUENTIAL.
            |       DATA DIVISION.
            |       FILE SECTION.
            |       FD  LEDGER.
            |       01  LEDGER-LINE             PIC X(29).
            |       LINKAGE SECTION.
            |       COPY PAYREC.
            |       PROCEDURE DIVISION USING PAY-RECORD.
            |       POST-PAYMENT.
            |           OPEN EXTEND LEDGER
            |           MOVE PAY-RECORD TO LEDGER-LINE
            |           WRITE LEDGER-LINE
            |           CLOSE LEDGER
            |           GOBACK.
            """,
        "src/PAYRPT.cbl": """
            |       IDENTIFICATION DIVISION.
            |       PROGRAM-ID. PAYRPT.
            |      *> Prints the run totals.
            |       DATA DIVISION.
            |       WORKING-STORAGE SECTION.
            |       01  WS-COUNT                PIC Z,ZZZ,ZZ9.
            |       LINKAGE SECTION.
            |       COPY TOTALS.
            |       PROCEDURE DIVISION USING RUN-TOTALS.
            |       PRINT-TOTALS.
            |           MOVE TOT-READ TO WS-COUNT
            |           DISPLAY 'PAYMENTS READ   ' WS-COUNT
            |           MOVE TOT-POSTED TO WS-COUNT
            |           DISPLAY 'PAYMENTS POSTED ' WS-COUNT
            |           GOBACK.
            """,
    }
    _write(root, {"README.md": files.pop("README.md")})
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(_fixed(text), encoding="utf-8")
    return root


def test_cobol_programs_paragraphs_and_calls(tmp_path: Path) -> None:
    """COBOL was documented from file names alone: hyphenated paragraph names were dropped, COBOL kinds were
    'other', PERFORM and CALL were not calls, the grammar lost most paragraphs. The wiki now has a page per program,
    paragraphs with their sources, and a data flow that follows PERFORM and CALL across programs."""
    repo = cobol_batch_repo(tmp_path / "paybatch")
    ep = _episode(repo, tmp_path / "run")
    _assert_clean(ep, repo)
    checks = ep.score["checks"]
    assert checks["stubs"]["score"] == 1.0, checks["stubs"]["findings"]
    assert checks["mermaid"]["stats"]["valid"] == checks["mermaid"]["stats"]["diagrams"] >= 3
    flow = ep.wiki["architecture/data-flow.md"]
    assert "sequenceDiagram" in flow and "CALL PAYCHECK" in flow and "PERFORM PROCESS-PAYMENT" in flow
    m = re.search(r"`PROCESS-PAYMENT` (?:calls program|hands off to program) `PAYCHECK`.*?`(src/PAYMAIN\.cbl):(\d+)`",
                  flow, re.DOTALL)
    assert m and "CALL 'PAYCHECK'" in (repo / m.group(1)).read_text().split("\n")[int(m.group(2)) - 1]
    wiki = "".join(ep.wiki.values())
    for name in ("MAIN-PROCEDURE", "PROCESS-PAYMENT", "CHECK-DATE", "PAY-RECORD", "RUN-TOTALS"):
        assert f"`{name}`" in wiki, name
    glossary = ep.wiki["glossary.md"]
    assert "**PROCESS-PAYMENT** (paragraph)" in glossary and "**PAY-RECORD** (data record)" in glossary
    # Program purposes come from the comment after PROGRAM-ID; dependencies read as COPY and CALL, cited.
    assert "Checks one payment: positive amount and a plausible date." in wiki
    edges = re.findall(r"`(\w+\.cbl)` (calls|copies) `(\w+\.c(?:bl|py))` at `([\w/.]+):(\d+)`", wiki)
    assert {(v, d) for _, v, d, _, _ in edges} >= {("calls", "PAYCHECK.cbl"), ("copies", "PAYREC.cpy")}, edges
    for _, verb, dst, path, line in edges:
        text = (repo / path).read_text().split("\n")[int(line) - 1]
        assert ("CALL" if verb == "calls" else "COPY") in text and dst.split(".")[0] in text


def _components(root: Path) -> list[tuple[str, str, list[str]]]:
    from wikigym.repos import open_repo
    from wikigym.simulator.teacher.facts import RepoFacts
    from wikigym.simulator.teacher.planner import find_components

    return [(c.slug, c.unit, c.files) for c in find_components(RepoFacts(open_repo(root)))]


def test_components_split_wide_and_dominant_directories_and_skip_empty_units(tmp_path: Path) -> None:
    """Real layouts the planner handled poorly: a Ruby gem (lib/rack.rb + 60 files in lib/rack) became 2 components;
    zod's src/v4 (107 of 125 files) one, beside pages for re-export barrels; Go's doc.go (a package comment) and
    C headers (cJSON.h as `cjson-2`) got pages of their own."""
    ruby = {"lib/gem.rb": "module Gem\n  VERSION = '1'\nend\n"}
    for i in range(12):
        ruby[f"lib/gem/part{i:02d}.rb"] = "module Gem\n" + "".join(
            f"  class Part{i}x{j}\n    def run{j}(x)\n      x + {j}\n    end\n  end\n" for j in range(i + 3)) + "end\n"
    comps = _components(_write(tmp_path / "gem", ruby))
    assert len(comps) >= 6, comps
    assert ("gem", "lib/gem", sorted(f for f in ruby if f.startswith("lib/gem/")
                                     and not any(f in c[2] for c in comps if c[0] != "gem"))) in comps

    ts = {"src/index.ts": "export * from './v4/classic/index.js';\n",
          "src/mini/index.ts": "export * from '../v4/mini/index.js';\n"}
    for part, n in (("core", 8), ("classic", 5), ("mini", 4)):
        for i in range(n):
            ts[f"src/v4/{part}/m{i}.ts"] = "".join(
                f"export function {part}{i}f{j}(x: number): number {{\n  return x + {j};\n}}\n" for j in range(4))
    comps = _components(_write(tmp_path / "zodlike", ts))
    units = [u for _, u, _ in comps]
    assert {"src/v4/core", "src/v4/classic", "src/v4/mini"} <= set(units), comps
    assert "src/mini" not in units and "src/v4" not in units

    go = {"go.mod": "module example.com/m\n", "doc.go": "// Package m does things.\n" + "//\n" * 30 + "package m\n"}
    for name in ("router", "route", "regexp"):
        go[f"{name}.go"] = "package m\n\n" + "".join(f"func {name.title()}{j}() int {{\n\treturn {j}\n}}\n\n"
                                                    for j in range(8))
    assert "doc.go" not in [u for _, u, _ in _components(_write(tmp_path / "gomod", go))]

    c = {"json.c": '#include "json.h"\n' + "".join(f"int parse{j}(void) {{ return {j}; }}\n" for j in range(20)),
         "json.h": "".join(f"int parse{j}(void);\n" for j in range(20)),
         "utils.c": '#include "utils.h"\n' + "".join(f"int util{j}(void) {{ return {j}; }}\n" for j in range(20)),
         "utils.h": "".join(f"int util{j}(void);\n" for j in range(20)),
         "test.c": '#include "json.h"\nint main(void) { return parse1(); }\n'}
    comps = _components(_write(tmp_path / "cjsonlike", c))
    assert sorted(comps) == [("json", "json.c", ["json.c", "json.h"]), ("utils", "utils.c", ["utils.c", "utils.h"])]


def rust_crate_repo(root: Path) -> Path:
    return _write(root, {
        "README.md": """
            # failsafe

            This library provides [`failsafe::Error`][Error], a boxed error type with context for applications.

            [Error]: https://docs.rs/failsafe
            """,
        "Cargo.toml": """
            # THIS FILE IS AUTOMATICALLY GENERATED BY CARGO
            #
            # When uploading crates to the registry Cargo will automatically
            # "normalize" Cargo.toml files for maximal compatibility.

            [package]
            name = "failsafe"
            version = "1.0.0"

            [dependencies.backtrace]
            version = "0.3"
            optional = true
            """,
        "src/lib.rs": """
            //! [![github]](https://github.com/x/failsafe)
            //!
            //! [github]: https://img.shields.io/badge/github
            //!
            //! Failsafe error handling: one error type, context on every failure.

            mod context;
            mod error;

            pub use crate::error::Error;

            /// `Result<T, Error>`.
            pub type Result<T> = std::result::Result<T, Error>;

            /// Wraps a message into an error.
            pub fn msg(text: &str) -> Error {
                error::Error::new(text)
            }
            """,
        "src/error.rs": """
            /// The error type: a message and an optional context chain.
            pub struct Error {
                message: String,
                context: Vec<String>,
            }

            struct Frame {
                depth: usize,
            }

            impl Error {
                /// Creates an error from a message.
                pub fn new(message: &str) -> Error {
                    Error { message: message.to_string(), context: Vec::new() }
                }

                /// Adds a line of context.
                pub fn context(mut self, line: &str) -> Error {
                    self.context.push(line.to_string());
                    self
                }
            }

            fn depth_of(frame: &Frame) -> usize {
                frame.depth
            }
            """,
        "src/context.rs": """
            use crate::error::Error;

            /// Adds context to results.
            pub trait Context<T> {
                /// Wraps the error with a line of context.
                fn context(self, line: &str) -> Result<T, Error>;
            }

            impl<T> Context<T> for Result<T, Error> {
                fn context(self, line: &str) -> Result<T, Error> {
                    self.map_err(|e| e.context(line))
                }
            }

            /// Adds the same line of context to every error of a batch.
            pub fn context_all<T>(results: Vec<Result<T, Error>>, line: &str) -> Vec<Result<T, Error>> {
                results
                    .into_iter()
                    .map(|r| r.context(line))
                    .collect()
            }

            fn unused_helper(depth: usize) -> usize {
                depth + 1
            }
            """,
    })


def test_rust_crate_readme_manifest_mod_lines_and_pub_visibility(tmp_path: Path) -> None:
    """From dtolnay/anyhow: the README's reference link became '('anyhow::Error')(Error)', the Cargo.toml snippet was
    its generated-file banner (`[dependencies.backtrace]` was not found), `mod context;` was not a citable import
    line, and 'public (no leading underscore)' called private Rust items public."""
    repo = rust_crate_repo(tmp_path / "failsafe")
    ep = _episode(repo, tmp_path / "run")
    _assert_clean(ep, repo)
    overview = ep.wiki["architecture/overview.md"]
    assert "provides 'failsafe::Error', a boxed error type" in overview and "(Error)" not in overview
    m = re.search(r"\*\*Source:\*\* \[`Cargo\.toml:(\d+)-(\d+)`\]", overview)
    assert m and "[dependencies.backtrace]" in (repo / "Cargo.toml").read_text().split("\n")[int(m.group(1)) - 1]
    wiki = "".join(ep.wiki.values())
    assert "AUTOMATICALLY GENERATED" not in wiki
    from wikigym.repos import open_repo
    from wikigym.simulator.teacher.facts import RepoFacts

    facts = RepoFacts(open_repo(repo))
    assert facts.import_line("src/lib.rs", "src/context.rs") == 7  # `mod context;`
    assert facts.import_line("src/context.rs", "src/error.rs") == 1  # `use crate::error::Error;`
    assert "no leading underscore" not in wiki
    for m in re.finditer(r"\*\*Public surface\*\*: (\d+) of (\d+) top-level names are public \(declared `pub`\)", wiki):
        assert int(m.group(1)) < int(m.group(2)) or "error.rs" not in wiki


def test_package_wide_imports_keep_only_the_files_used(tmp_path: Path) -> None:
    """`import pkg.*` (Java/Kotlin), `using Namespace` (C#) and a Go package import resolve to every file of the
    package; kotlinx.coroutines' channels component 'built on' 83 files through one wildcard. The teacher keeps
    the files whose definitions the importer names, and adds same-package uses."""
    from wikigym.repos import open_repo
    from wikigym.simulator.teacher.facts import RepoFacts

    repo = _write(tmp_path / "shop", {
        "src/main/java/com/shop/model/Item.java": "package com.shop.model;\n\npublic class Item {\n  int qty;\n}\n",
        "src/main/java/com/shop/model/Price.java": "package com.shop.model;\n\npublic class Price {\n  long c;\n}\n",
        "src/main/java/com/shop/model/Audit.java": "package com.shop.model;\n\npublic class Audit {\n  long t;\n}\n",
        "src/main/java/com/shop/service/Cart.java": (
            "package com.shop.service;\n\nimport com.shop.model.*;\n\npublic class Cart {\n"
            "  private final Item first = new Item();\n  Tax tax() { return new Tax(); }\n}\n"),
        "src/main/java/com/shop/service/Tax.java": "package com.shop.service;\n\npublic class Tax {\n  int rate;\n}\n",
    })
    facts = RepoFacts(open_repo(repo))
    cart = "src/main/java/com/shop/service/Cart.java"
    assert facts.imports[cart] == ["src/main/java/com/shop/model/Item.java"]
    assert facts.uses[cart] == ["src/main/java/com/shop/service/Tax.java"]
    assert facts.deps[cart] == ["src/main/java/com/shop/model/Item.java", "src/main/java/com/shop/service/Tax.java"]
    assert facts.dep_line(cart, "src/main/java/com/shop/service/Tax.java") == 7


def test_import_line_prefers_the_statement_that_names_the_file(tmp_path: Path) -> None:
    """twig: 'AbstractBinary.php depends on Node.php, see the import at line 16' cited
    `use Twig\\Node\\Expression\\AbstractExpression;` (Node is a namespace segment there), not line 17's
    `use Twig\\Node\\Node;`."""
    from wikigym.repos import open_repo
    from wikigym.simulator.teacher.facts import RepoFacts

    repo = _write(tmp_path / "twiglike", {
        "Node/Node.php": "<?php\nnamespace Twig\\Node;\n\nclass Node\n{\n}\n",
        "Node/Expression/AbstractExpression.php": (
            "<?php\nnamespace Twig\\Node\\Expression;\n\nuse Twig\\Node\\Node;\n\n"
            "abstract class AbstractExpression extends Node\n{\n}\n"),
        "Node/Expression/Binary/AbstractBinary.php": (
            "<?php\nnamespace Twig\\Node\\Expression\\Binary;\n\nuse Twig\\Node\\Expression\\AbstractExpression;\n"
            "use Twig\\Node\\Node;\n\nabstract class AbstractBinary extends AbstractExpression\n{\n"
            "    public function __construct(Node $left, Node $right) {}\n}\n"),
    })
    facts = RepoFacts(open_repo(repo))
    binary = "Node/Expression/Binary/AbstractBinary.php"
    assert facts.imports[binary] == ["Node/Expression/AbstractExpression.php", "Node/Node.php"]
    assert facts.import_line(binary, "Node/Node.php") == 5
    assert facts.import_line(binary, "Node/Expression/AbstractExpression.php") == 4


def test_readme_badge_definitions_and_poetry_dependencies(tmp_path: Path) -> None:
    """tomlkit: the hub quoted the README's badge URL definitions as the project's description, and the guide said
    'dependencies at `pyproject.toml:1-15`' for lines that hold no dependency ([tool.poetry.dependencies] was not
    recognised)."""
    from tests.simulator.test_scripted import python_repo

    repo = python_repo(tmp_path / "ledger")
    readme = ("[release]: https://img.shields.io/github/release/x/ledger.svg\n"
              "[pypi]: https://img.shields.io/pypi/v/ledger.svg\n\n"
              "[![Release][release]](https://github.com/x/ledger/releases/)\n<br>\n\n# Ledger\n\n"
              "Ledger keeps double-entry accounts for small shops and prints monthly balance reports.\n")
    (repo / "README.md").write_text(readme)
    (repo / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "ledger"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.8"\n'
        'pyyaml = ">=6"\n\n[build-system]\nrequires = ["poetry-core"]\n')
    ep = _episode(repo, tmp_path / "run")
    _assert_clean(ep, repo)
    hub = ep.wiki["README.md"]
    assert "> Ledger keeps double-entry accounts" in hub and "img.shields.io" not in hub
    guide = ep.wiki["guides/getting-started.md"]
    assert "The project's manifest `pyproject.toml` (dependencies at `pyproject.toml:5-7`)." in guide, guide


def test_readme_paragraph_is_the_description_not_a_licence_question_or_instruction() -> None:
    """Real READMEs open with other things: clap with 'Dual-licensed under Apache 2.0 or MIT.', rxjs with 'Curious
    what's next for RxJS?', libyaml with 'To build and install the library, run:' (its description is in the title),
    serde with a bold line holding italics, react-query with 'Enjoy this library?' further down."""
    from wikigym.simulator.teacher.writer import _readme_paragraph

    clap = ("# clap\n\n> **Command Line Argument Parser for Rust**\n\n[![x](https://img.shields.io/x)](https://x)\n\n"
            "Dual-licensed under [Apache 2.0](LICENSE-APACHE) or [MIT](LICENSE-MIT).\n")
    assert _readme_paragraph(clap) == ("Command Line Argument Parser for Rust", 3, 3)
    rxjs = ("# RxJS\n\n# The Roadmap\n\nCurious what's next for RxJS? Follow along with [Issue 6367](https://x).\n\n"
            "# RxJS 7\n\nReactive Extensions Library for JavaScript. This is a rewrite of RxJS.\n")
    assert _readme_paragraph(rxjs)[0].startswith("Reactive Extensions Library for JavaScript.")
    libyaml = ("## LibYAML - A C library for parsing and emitting YAML.\n\nTo build and install the library, run:\n\n"
               "    $ ./configure\n\nIf you checked the source code from the Git repository, run bootstrap first\n")
    assert _readme_paragraph(libyaml) == ("A C library for parsing and emitting YAML.", 1, 1)
    serde = "# Serde\n\n**Serde is a framework for *ser*ializing and *de*serializing Rust data structures.**\n"
    assert _readme_paragraph(serde)[0] == "Serde is a framework for serializing and deserializing Rust data structures."
    rq = "<picture>\n</picture>\n\nHooks for fetching, caching and updating asynchronous data in React\n\n" \
         "Enjoy this library? Try the entire TanStack! Table, Router and Virtual.\n"
    assert _readme_paragraph(rq)[0] == "Hooks for fetching, caching and updating asynchronous data in React"


def test_csharp_namespace_members_are_top_level_with_clean_xml_docs(tmp_path: Path) -> None:
    """newtonsoft-json: every class sits in a namespace, so a component had '0 top-level definitions' and its
    table listed methods (`Add` five times, overloads); XML doc tags were shown escaped
    ('children of this &lt;see cref="JToken"/&gt;')."""
    from wikigym.repos import open_repo
    from wikigym.simulator.teacher.facts import RepoFacts

    repo = _write(tmp_path / "json", {
        "Linq/JObject.cs": """
            using System;

            namespace Json.Linq
            {
                /// <summary>
                /// Represents a JSON object, a collection of <see cref="JProperty"/> values.
                /// </summary>
                public class JObject
                {
                    /// <summary>Adds the specified property to this <see cref="T:Json.Linq.JObject"/>.</summary>
                    public void Add(JProperty property) { }

                    public void Add(string name, object value) { Add(new JProperty(name, value)); }

                    public void Add(object content) { }
                }

                public class JProperty
                {
                    public JProperty(string name, object value) { }
                }
            }
            """,
    })
    facts = RepoFacts(open_repo(repo))
    tops = facts.top_symbols("Linq/JObject.cs", 6)
    assert [s.name for s in tops][:2] == ["JObject", "JProperty"] or [s.name for s in tops][:2] == ["JProperty",
                                                                                                    "JObject"]
    assert all(s.parent is None for s in tops)
    obj = next(s for s in tops if s.name == "JObject")
    assert obj.doc == "Represents a JSON object, a collection of JProperty values."
    add = [s for s in facts.methods_of(obj) if s.name == "Add"]
    assert len(add) == 3 and add[0].doc == "Adds the specified property to this JObject."
    assert [s.name for s in facts.top_symbols("Linq/JObject.cs", 10)].count("Add") <= 1


def c_library_repo(root: Path) -> Path:
    """A C library in libyaml's shape: the public header and a private header hold prototypes, the .c files call
    each other through them."""
    return _write(root, {
        "README.md": "# ini\n\nA small C library for parsing INI configuration files.\n",
        "include/ini.h": """
            #ifndef INI_H
            #define INI_H

            typedef struct ini_file ini_file;

            /* Loads an INI file from disk. */
            ini_file *ini_load(const char *path);
            /* Parses INI text. */
            ini_file *ini_parse(const char *text);
            /* Frees a parsed file. */
            void ini_free(ini_file *file);

            #endif
            """,
        "src/private.h": """
            #include "ini.h"

            char *ini_strdup(const char *text);
            int ini_scan_line(const char *line, char **key, char **value);
            """,
        "src/load.c": """
            #include <stdio.h>
            #include <stdlib.h>
            #include "private.h"

            static char *read_all(FILE *fp)
            {
                char *buf = malloc(4096);
                size_t n = fread(buf, 1, 4095, fp);
                buf[n] = 0;
                return buf;
            }

            ini_file *ini_load(const char *path)
            {
                FILE *fp = fopen(path, "r");
                if (!fp)
                    return NULL;
                char *text = read_all(fp);
                fclose(fp);
                ini_file *file = ini_parse(text);
                free(text);
                return file;
            }
            """,
        "src/parse.c": """
            #include <stdlib.h>
            #include <string.h>
            #include "private.h"

            struct ini_file {
                int count;
                char *keys[64];
                char *values[64];
            };

            ini_file *ini_parse(const char *text)
            {
                ini_file *file = calloc(1, sizeof(ini_file));
                char *copy = ini_strdup(text);
                for (char *line = strtok(copy, "\\n"); line; line = strtok(NULL, "\\n")) {
                    char *key, *value;
                    if (ini_scan_line(line, &key, &value) && file->count < 64) {
                        file->keys[file->count] = key;
                        file->values[file->count++] = value;
                    }
                }
                free(copy);
                return file;
            }

            void ini_free(ini_file *file)
            {
                free(file);
            }
            """,
        "src/scan.c": """
            #include <string.h>
            #include <stdlib.h>
            #include "private.h"

            char *ini_strdup(const char *text)
            {
                char *out = malloc(strlen(text) + 1);
                strcpy(out, text);
                return out;
            }

            int ini_scan_line(const char *line, char **key, char **value)
            {
                const char *eq = strchr(line, '=');
                if (!eq || line[0] == ';' || line[0] == '[')
                    return 0;
                *key = strndup(line, eq - line);
                *value = ini_strdup(eq + 1);
                return 1;
            }
            """,
    })


def test_c_call_chains_go_through_header_prototypes(tmp_path: Path) -> None:
    """libyaml, cJSON, tinyxml2, CLI11: no data-flow chain at all. Chain starts were the central files' first
    functions, which in C are a header's prototypes (they call nothing), and a call through a prototype ended at the
    prototype. Starts must call something; a prototype stands for its one definition in a source file."""
    repo = c_library_repo(tmp_path / "ini")
    ep = _episode(repo, tmp_path / "run")
    _assert_clean(ep, repo)
    flow = ep.wiki["architecture/data-flow.md"]
    assert "sequenceDiagram" in flow, flow
    participants = re.findall(r"participant P\d+ as ([\w.]+)", flow)
    assert len(participants) >= 2 and all(p.endswith(".c") for p in participants), participants
    for m in re.finditer(r"`(\w+)` (?:calls|invokes|hands off to) (\w+)\(\).*?`(src/\w+\.c):(\d+)`", flow):
        assert m.group(2) in (repo / m.group(3)).read_text().split("\n")[int(m.group(4)) - 1]
