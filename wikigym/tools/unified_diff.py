"""A port of npm `diff` 5.x `createTwoFilesPatch` (Myers line diff, 4 lines of context), as `edit_file` prints it.

The filesystem MCP server's `edit_file` answers with this patch, so the hunks, their ranges and the
`\\ No newline at end of file` markers must come out exactly as jsdiff writes them; Python's difflib groups hunks
differently. Only what `createTwoFilesPatch(name, name, old, new, 'original', 'modified')` uses is ported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class _Component:
    count: int
    added: bool = False
    removed: bool = False
    previous: _Component | None = None
    value: str = ""


@dataclass
class _Path:
    old_pos: int
    last: _Component | None


def _tokenize(value: str) -> list[str]:
    parts = re.split(r"(\n|\r\n)", value)
    if parts and not parts[-1]:
        parts.pop()
    out: list[str] = []
    for i, line in enumerate(parts):
        if i % 2:
            out[-1] += line
        else:
            out.append(line)
    return out


def _add_to_path(path: _Path, added: bool, removed: bool, inc: int) -> _Path:
    last = path.last
    if last is not None and last.added == added and last.removed == removed:
        return _Path(path.old_pos + inc, _Component(last.count + 1, added, removed, last.previous))
    return _Path(path.old_pos + inc, _Component(1, added, removed, last))


def _extract_common(base: _Path, new: list[str], old: list[str], diagonal: int) -> int:
    new_len, old_len = len(new), len(old)
    old_pos = base.old_pos
    new_pos = old_pos - diagonal
    common = 0
    while new_pos + 1 < new_len and old_pos + 1 < old_len and new[new_pos + 1] == old[old_pos + 1]:
        new_pos += 1
        old_pos += 1
        common += 1
    if common:
        base.last = _Component(common, previous=base.last)
    base.old_pos = old_pos
    return new_pos


def _build_values(last: _Component | None, new: list[str], old: list[str]) -> list[_Component]:
    comps: list[_Component] = []
    while last is not None:
        comps.append(last)
        last = last.previous
    comps.reverse()
    new_pos = old_pos = 0
    for i, c in enumerate(comps):
        if not c.removed:
            c.value = "".join(new[new_pos:new_pos + c.count])
            new_pos += c.count
            if not c.added:
                old_pos += c.count
        else:
            c.value = "".join(old[old_pos:old_pos + c.count])
            old_pos += c.count
            if i and comps[i - 1].added:
                comps[i - 1], comps[i] = comps[i], comps[i - 1]
    if len(comps) > 1 and (comps[-1].added or comps[-1].removed) and comps[-1].value == "":
        comps[-2].value += comps[-1].value
        comps.pop()
    return comps


def diff_lines(old_str: str, new_str: str) -> list[_Component]:
    """jsdiff's `diffLines`: components with `value`, `count`, `added`, `removed`."""
    old = [t for t in _tokenize(old_str) if t]
    new = [t for t in _tokenize(new_str) if t]
    new_len, old_len = len(new), len(old)
    edit_length = 1
    max_edit = new_len + old_len
    best: dict[int, _Path | None] = {0: _Path(-1, None)}
    start = best[0]
    assert start is not None
    new_pos = _extract_common(start, new, old, 0)
    if start.old_pos + 1 >= old_len and new_pos + 1 >= new_len:
        return [_Component(len(new), value="".join(new))]
    min_diag, max_diag = float("-inf"), float("inf")
    while edit_length <= max_edit:
        diag = int(max(min_diag, -edit_length))
        while diag <= min(max_diag, edit_length):
            remove_path = best.get(diag - 1)
            add_path = best.get(diag + 1)
            if remove_path is not None:
                best[diag - 1] = None
            can_add = False
            if add_path is not None:
                add_new_pos = add_path.old_pos - diag
                can_add = 0 <= add_new_pos < new_len
            can_remove = remove_path is not None and remove_path.old_pos + 1 < old_len
            if not can_add and not can_remove:
                best[diag] = None
                diag += 2
                continue
            if not can_remove or (can_add and remove_path.old_pos + 1 < add_path.old_pos):  # type: ignore[union-attr]
                base = _add_to_path(add_path, True, False, 0)  # type: ignore[arg-type]
            else:
                base = _add_to_path(remove_path, False, True, 1)  # type: ignore[arg-type]
            new_pos = _extract_common(base, new, old, diag)
            if base.old_pos + 1 >= old_len and new_pos + 1 >= new_len:
                return _build_values(base.last, new, old)
            best[diag] = base
            if base.old_pos + 1 >= old_len:
                max_diag = min(max_diag, diag - 1)
            if new_pos + 1 >= new_len:
                min_diag = max(min_diag, diag + 1)
            diag += 2
        edit_length += 1
    return []  # unreachable: max_edit always suffices


def create_two_files_patch(old_name: str, new_name: str, old_str: str, new_str: str, old_header: str,
                           new_header: str, context: int = 4) -> str:
    """`createTwoFilesPatch` with jsdiff's hunk building and formatting."""
    diff = diff_lines(old_str, new_str)
    entries: list[tuple[list[str], bool, bool]] = []
    for c in diff:
        entries.append((re.sub(r"\n\Z", "", c.value).split("\n"), c.added, c.removed))
    entries.append(([], False, False))
    hunks = []
    old_range_start = new_range_start = 0
    cur: list[str] = []
    old_line = new_line = 1
    for i, (lines, added, removed) in enumerate(entries):
        if added or removed:
            if not old_range_start:
                old_range_start, new_range_start = old_line, new_line
                if i > 0:
                    prev = entries[i - 1][0]
                    cur = [" " + e for e in prev[-context:]] if context > 0 else []
                    old_range_start -= len(cur)
                    new_range_start -= len(cur)
            cur.extend(("+" if added else "-") + e for e in lines)
            if added:
                new_line += len(lines)
            else:
                old_line += len(lines)
        else:
            if old_range_start:
                if len(lines) <= context * 2 and i < len(entries) - 2:
                    cur.extend(" " + e for e in lines)
                else:
                    size = min(len(lines), context)
                    cur.extend(" " + e for e in lines[:size])
                    hunk = {"oldStart": old_range_start, "oldLines": old_line - old_range_start + size,
                            "newStart": new_range_start, "newLines": new_line - new_range_start + size, "lines": cur}
                    if i >= len(entries) - 2 and len(lines) <= context:
                        old_eof_nl = old_str.endswith("\n")
                        new_eof_nl = new_str.endswith("\n")
                        no_nl_before_adds = len(lines) == 0 and len(cur) > hunk["oldLines"]
                        if not old_eof_nl and no_nl_before_adds and len(old_str) > 0:
                            cur.insert(hunk["oldLines"], "\\ No newline at end of file")
                        if (not old_eof_nl and not no_nl_before_adds) or not new_eof_nl:
                            cur.append("\\ No newline at end of file")
                    hunks.append(hunk)
                    old_range_start = new_range_start = 0
                    cur = []
            old_line += len(lines)
            new_line += len(lines)
    out = []
    if old_name == new_name:
        out.append("Index: " + old_name)
    out.append("=" * 67)
    out.append(f"--- {old_name}\t{old_header}")
    out.append(f"+++ {new_name}\t{new_header}")
    for h in hunks:
        old_start = h["oldStart"] - 1 if h["oldLines"] == 0 else h["oldStart"]
        new_start = h["newStart"] - 1 if h["newLines"] == 0 else h["newStart"]
        out.append(f"@@ -{old_start},{h['oldLines']} +{new_start},{h['newLines']} @@")
        out.extend(h["lines"])
    return "\n".join(out) + "\n"
