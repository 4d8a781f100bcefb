"""A line-based COBOL outline: programs, procedure sections and paragraphs, 01/77 data records, COPY and CALL.

The tree-sitter COBOL grammar stops at common dialect features (GnuCOBOL's `ORGANIZATION IS LINE SEQUENTIAL`,
`ACCEPT ... FROM ENVIRONMENT`, an `FD` or `LINKAGE SECTION` whose record comes from a `COPY`, copybooks, which are
fragments rather than programs) and its error node swallows the rest of the division: the paragraphs after it, their
`CALL`s and `COPY`s are lost. COBOL's layout is line-oriented, so this outline reads the same facts from the lines:
`parsing.py` uses it for a COBOL file whose tree has errors.

Rules (fixed format unless a `>>SOURCE FORMAT FREE` / `$SET SOURCEFORMAT"FREE"` directive says free):
- column 7 `*` or `/` is a comment line, `*>` starts a comment anywhere (outside string literals); columns 1-6 are
  the sequence area;
- a program runs from its `IDENTIFICATION DIVISION` (or `PROGRAM-ID`) line to its `END PROGRAM` line, else to the
  line before the next program or the file's last line; a `PROGRAM-ID` before the open program's `END PROGRAM` is
  nested in it;
- in the `PROCEDURE DIVISION`, a header starts in Area A (columns 8-11; in free format it is alone on its line):
  `NAME SECTION.` or `NAME.` (not a verb such as `EXIT.`); a paragraph runs to the line before the next header, a
  section to the line before the next section;
- in the `DATA DIVISION` (or anywhere in a copybook), a level `01`/`77` entry (or a GnuCOBOL `78` constant) that is
  not `FILLER` is a `data` record running to the line before the next record, file description, section or division
  (trailing comments dropped);
- `COPY name` / `COPY "file.cpy"` and `CALL 'PROG'` are the file's imports, in order.

Symbols use `symbols.Symbol` with the tree-sitter extractor's kinds (`program`, `section`, `paragraph`, `data`; a
level-78 entry is a `constant`) and
parents (a paragraph's section, else its program; a record's program; a nested program's parent program).

What it deliberately does not do: expand copybooks, follow `REPLACING`, or parse statements.

Example:
    >>> syms, imports = cobol_outline_text("       IDENTIFICATION DIVISION.\\n       PROGRAM-ID. HELLO.\\n"
    ...     "       PROCEDURE DIVISION.\\n       MAIN-PARA.\\n           CALL 'SUB'.\\n           STOP RUN.\\n")
    >>> [(s.name, s.kind, s.start_line, s.end_line, s.parent) for s in syms], imports
    ([('HELLO', 'program', 1, 6, None), ('MAIN-PARA', 'paragraph', 4, 6, 'HELLO')], ['SUB'])
"""

from __future__ import annotations

import re

from wikigym.repos.symbols import Symbol
from wikigym.repos.syntax import Source

_FREE = re.compile(r"^\s*(?:>>\s*SOURCE\s+(?:FORMAT\s+)?(?:IS\s+)?FREE|\$\s*SET\s+SOURCEFORMAT\s*\(?\s*[\"']?FREE)",
                   re.IGNORECASE)
_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]*"
_ID_DIVISION = re.compile(r"^(?:IDENTIFICATION|ID)\s+DIVISION\b", re.IGNORECASE)
_PROGRAM_ID = re.compile(rf"^PROGRAM-ID\s*\.?\s*[\"']?({_NAME})", re.IGNORECASE)
_END_PROGRAM = re.compile(rf"^END\s+PROGRAM\s+[\"']?({_NAME})", re.IGNORECASE)
_DIVISION = re.compile(r"^(IDENTIFICATION|ID|ENVIRONMENT|DATA|PROCEDURE)\s+DIVISION\b", re.IGNORECASE)
_SECTION = re.compile(rf"^({_NAME})\s+SECTION(?:\s+\d+)?\s*\.", re.IGNORECASE)
_PARAGRAPH = re.compile(rf"^({_NAME})\s*\.(?:\s|$)")
_RECORD = re.compile(rf"^(0?1|77|78)\s+({_NAME})(?=[\s.]|$)", re.IGNORECASE)
_FILE_ENTRY = re.compile(r"^(FD|SD|RD|CD)\s", re.IGNORECASE)
_COPY = re.compile(r"(?:^|\s)COPY\s+(\"[^\"]+\"|'[^']+'|[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)",
                   re.IGNORECASE)
_CALL = re.compile(r"(?:^|\s)CALL\s+(\"[^\"]+\"|'[^']+')", re.IGNORECASE)
# Words that can stand alone with a period in Area A of sloppy code, or listing directives: never paragraph names.
_NOT_NAMES = frozenset("""
EXIT GOBACK CONTINUE ELSE DECLARATIVES EJECT SKIP1 SKIP2 SKIP3 END-IF END-PERFORM END-EVALUATE END-READ END-WRITE
END-CALL END-COMPUTE END-STRING END-UNSTRING END-SEARCH END-RETURN END-START END-REWRITE END-DELETE END-ACCEPT
END-DISPLAY END-ADD END-SUBTRACT END-MULTIPLY END-DIVIDE END-EXEC STOP RUN FILLER
""".split())


def _strip_floating_comment(code: str) -> str:
    """`code` up to a `*>` comment that is not inside a string literal."""
    quote = ""
    for i, ch in enumerate(code):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "*" and code[i + 1:i + 2] == ">":
            return code[:i]
    return code


def _code_lines(lines: list[str]) -> list[tuple[str, bool] | None]:
    """Per line: (code text, starts in Area A), or None for comment and blank lines."""
    free = any(_FREE.match(line) for line in lines[:50])
    out: list[tuple[str, bool] | None] = []
    for raw in lines:
        line = raw.rstrip("\r")
        if free:
            code = _strip_floating_comment(line)
            area_a = True
        else:
            if len(line) > 6 and line[6] in "*/":
                out.append(None)
                continue
            if line.lstrip().startswith("*>"):
                out.append(None)
                continue
            body = line[7:] if len(line) > 7 else ""
            if len(line) > 6 and line[6] not in " -dD" and not line[:6].strip():
                body = line[6:]  # a line that starts in column 7: no indicator, code already
            code = _strip_floating_comment(body)
            indent = len(code) - len(code.lstrip())
            area_a = indent < 4
        if not code.strip() or code.lstrip().startswith(">>"):
            out.append(None)
            continue
        out.append((code.strip(), area_a))
    return out


def cobol_outline(src: Source) -> tuple[list[Symbol], list[str]]:
    """Symbols and imports of one COBOL source file or copybook (see the module docstring)."""
    lines = src.lines
    code = _code_lines(lines)
    n = len(lines)
    symbols: list[Symbol] = []
    imports: list[tuple[int, str]] = []

    # Imports first: COPY anywhere, static CALLs.
    for i, item in enumerate(code):
        if item is None:
            continue
        text = item[0]
        for m in _COPY.finditer(text):
            name = m.group(1).strip("\"'")
            if name.upper() not in ("REPLACING", "OF", "IN"):
                imports.append((i, name))
        for m in _CALL.finditer(text):
            imports.append((i, m.group(1)[1:-1].strip()))

    def last_code_line(start: int, stop: int) -> int:
        """The last line (0-based) in [start, stop) that holds code, else `start`."""
        for j in range(stop - 1, start - 1, -1):
            if code[j] is not None:
                return j
        return start

    # Programs: (name, first line, end line, parent), with nesting from END PROGRAM markers.
    programs: list[list] = []  # [name, start, end or None, parent]
    stack: list[list] = []
    pending_id: int | None = None
    for i, item in enumerate(code):
        if item is None:
            continue
        text = item[0]
        if _ID_DIVISION.match(text):
            pending_id = i
            continue
        m = _PROGRAM_ID.match(text)
        if m:
            start = pending_id if pending_id is not None else i
            pending_id = None
            if stack and not any(_END_PROGRAM.match(c[0]) for c in code[stack[-1][1]:] if c is not None):
                # No END PROGRAM markers: programs are siblings, the open one ends before this one.
                closed = stack.pop()
                closed[2] = last_code_line(closed[1], start)
            entry = [m.group(1), start, None, stack[-1][0] if stack else None]
            programs.append(entry)
            stack.append(entry)
            continue
        m = _END_PROGRAM.match(text)
        if m and stack:
            idx = next((k for k in range(len(stack) - 1, -1, -1) if stack[k][0].upper() == m.group(1).upper()),
                       len(stack) - 1)
            for closed in stack[idx + 1:]:
                closed[2] = last_code_line(closed[1], i)
            stack[idx][2] = i
            del stack[idx:]
    for open_ in stack:
        open_[2] = last_code_line(open_[1], n)
    for name, start, end, parent in programs:
        doc = src.comment_above(start, "cobol") or _comment_after_program_id(lines, code, start, end)
        symbols.append(Symbol(name, "program", start + 1, end + 1, parent, f"PROGRAM-ID. {name}", doc))

    def program_at(i: int) -> str | None:
        inner = [p for p in programs if p[1] <= i <= p[2]]
        return max(inner, key=lambda p: p[1])[0] if inner else None

    # Divisions, procedure headers and data records.
    division = "" if programs else "DATA"  # a copybook is a fragment of a data division
    headers: list[tuple[int, str, str, str | None]] = []  # (line, kind, name, program)
    records: list[tuple[int, str, str | None, str]] = []
    boundaries: set[int] = set()
    for i, item in enumerate(code):
        if item is None:
            continue
        text, area_a = item
        m = _DIVISION.match(text)
        if m or _PROGRAM_ID.match(text) or _END_PROGRAM.match(text):
            division = m.group(1).upper() if m else ""
            boundaries.add(i)
            continue
        if division == "PROCEDURE":
            if not area_a:
                continue
            m = _SECTION.match(text)
            if m and m.group(1).upper() not in _NOT_NAMES:
                headers.append((i, "section", m.group(1), program_at(i)))
                continue
            m = _PARAGRAPH.match(text)
            if m and m.group(1).upper() not in _NOT_NAMES and re.search(r"[A-Za-z]", m.group(1)) and (
                    area_a or text.rstrip(". ") == m.group(1)):
                headers.append((i, "paragraph", m.group(1), program_at(i)))
        elif division == "DATA":
            if _SECTION.match(text) or _FILE_ENTRY.match(text):
                boundaries.add(i)
                continue
            m = _RECORD.match(text)
            if m:
                boundaries.add(i)
                if m.group(2).upper() != "FILLER":
                    records.append((i, m.group(2), program_at(i), "constant" if m.group(1) == "78" else "data"))

    for i, name, program, kind in records:
        stop = min([b for b in boundaries if b > i] + [n])
        end = last_code_line(i, stop)
        doc = src.comment_above(i, "cobol")
        symbols.append(Symbol(name, kind, i + 1, end + 1, program, None, doc))

    for k, (i, kind, name, program) in enumerate(headers):
        prog_end = next((p[2] for p in programs if p[0] == program), n - 1) if program else n - 1
        following = [h for h in headers[k + 1:] if h[3] == program]
        if kind == "section":
            nxt = next((h[0] for h in following if h[1] == "section"), None)
            parent = program
        else:
            nxt = following[0][0] if following else None
            section = next((h for h in reversed(headers[:k]) if h[1] == "section" and h[3] == program), None)
            parent = section[2] if section is not None else program
        if nxt is not None:
            stop = nxt
        else:  # the procedure division ends the program, before its END PROGRAM line
            stop = prog_end if code[prog_end] is not None and _END_PROGRAM.match(code[prog_end][0]) else prog_end + 1
        end = last_code_line(i, stop)
        doc = src.comment_above(i, "cobol")
        signature = code[i][0] if code[i] else name
        symbols.append(Symbol(name, kind, i + 1, max(i, end) + 1, parent, signature, doc))

    symbols.sort(key=lambda s: (s.start_line, -s.end_line))
    seen: set[str] = set()
    ordered = []
    for _, name in sorted(imports, key=lambda t: t[0]):
        if name and name not in seen:
            seen.add(name)
            ordered.append(name)
    return symbols, ordered


def _comment_after_program_id(lines: list[str], code: list, start: int, end: int) -> str | None:
    """The comment block right after a program's PROGRAM-ID line (where COBOL programs state their purpose)."""
    pid = next((i for i in range(start, min(end, start + 3) + 1) if code[i] is not None
                and _PROGRAM_ID.match(code[i][0])), None)
    if pid is None:
        return None
    collected = []
    for j in range(pid + 1, min(end + 1, pid + 12)):
        raw = lines[j]
        stripped = raw.strip()
        if (len(raw) > 6 and raw[6] in "*/") or stripped.startswith("*>"):
            text = raw[7:] if len(raw) > 6 and raw[6] in "*/" else stripped[2:]
            collected.append(text.strip().lstrip(">").strip())
            continue
        break
    text = "\n".join(c for c in collected if c.strip("-*= "))
    return text or None


def with_program_docs(symbols: list[Symbol], src: Source) -> list[Symbol]:
    """Programs without a comment above them take the comment block right after their PROGRAM-ID line (where COBOL
    programs usually state their purpose); other symbols are returned unchanged."""
    if not any(s.kind == "program" and not s.docstring for s in symbols):
        return symbols
    code = _code_lines(src.lines)
    out = []
    for s in symbols:
        if s.kind == "program" and not s.docstring:
            doc = _comment_after_program_id(src.lines, code, s.start_line - 1, s.end_line - 1)
            s = Symbol(s.name, s.kind, s.start_line, s.end_line, s.parent, s.signature, doc)
        out.append(s)
    return out


def cobol_outline_text(text: str) -> tuple[list[Symbol], list[str]]:
    """`cobol_outline` over a text (tests and doctests)."""
    return cobol_outline(Source(text.encode("utf-8", "surrogatepass"), text.split("\n")))
