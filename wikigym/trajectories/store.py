"""Append-only JSONL trajectory files: one finished episode per line, fsynced, resumable, repaired when cut.

`TrajectoryWriter` owns `RUN_DIR/trajectories.jsonl` for one recording run. Each `append` redacts secrets, writes the
episode as one line in a single write, flushes and fsyncs, so after a crash the file holds every finished episode and
at most one partial last line. Opening a writer on an existing file checks every line's schema version, collects the
ids already recorded (the recorder skips them: that is how a run resumes) and cuts a truncated last line off with a
warning (its episode is simply recorded again). An exclusive lock stops two recorders from writing one file.

`read_episodes` / `iter_episodes` read the file back as `Episode` records. They refuse an unknown `schema_version`
in one line naming the file and line, and skip (with a warning) a truncated last line.

What it deliberately does not do: rewrite or delete finished lines, or merge files (concatenate them with `cat`).

Example:
    >>> with TrajectoryWriter("runs/demo/trajectories.jsonl") as w:  # doctest: +SKIP
    ...     if "ep-1" not in w.done_ids:
    ...         w.append(episode)
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wikigym.errors import TrajectoryCorrupt
from wikigym.trajectories.schema import SCHEMA_VERSION, Episode
from wikigym.trajectories.secrets import redact_obj

log = logging.getLogger("wikigym.trajectories")
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_line(data: Any) -> str:
    """Compact JSON, non-ASCII text kept readable, lone UTF-16 surrogates escaped as `\\udXXX`.

    SemanticWiki's outputs can hold half of a surrogate pair (search cuts documentation at 300 UTF-16 units, which
    may split an emoji). Such a string has no UTF-8 encoding, so it is written as a JSON escape and reads back
    exactly.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class TrajectoryRepairWarning(UserWarning):
    """A trajectory file had a truncated last line (an interrupted write) that was cut off or skipped."""


def _check_version(data: Any, path: Path, lineno: int) -> None:
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise TrajectoryCorrupt(
            f"trajectory {path} line {lineno} has schema_version {version!r}; this wikigym reads {SCHEMA_VERSION!r} "
            f"only: use the wikigym version that wrote it, or record into a new RUN_DIR")


def _scan(path: Path) -> tuple[list[dict[str, Any]], int | None, int]:
    """Parse `path`; return (records, byte offset where a bad last line starts or None, number of that line)."""
    data = path.read_bytes()
    records: list[dict[str, Any]] = []
    offset = 0
    lineno = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        lineno += 1
        last = end == -1 or end == len(data) - 1
        raw = data[offset:] if end == -1 else data[offset:end]
        if raw.strip():
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                if end == -1 or last:
                    return records, offset, lineno
                raise TrajectoryCorrupt(
                    f"trajectory {path} line {lineno} is not valid JSON but later lines are; the file was edited or "
                    f"two writers collided: move it aside and record into a new RUN_DIR") from None
            if end == -1:
                # A complete JSON value without its newline: the newline write was lost. Keep it, re-terminate.
                records.append(rec)
                return records, None, lineno
            records.append(rec)
        if end == -1:
            break
        offset = end + 1
    return records, None, lineno


class TrajectoryWriter:
    """Append finished episodes to a JSONL file, durably.

    Args:
        path: the trajectories file (created with its parent directory if missing).
        repair: cut a truncated last line off (with a warning). With False, such a file raises TrajectoryCorrupt.

    Attributes:
        done_ids: episode ids already in the file (read when opened, updated on append).
        warnings: human-readable warnings raised while opening (e.g. a repaired last line).
    """

    def __init__(self, path: str | os.PathLike[str], repair: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.done_ids: set[str] = set()
        self.warnings: list[str] = []
        self.count = 0
        self._fh = open(self.path, "ab")
        try:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - non-POSIX
            pass
        except OSError:
            self._fh.close()
            raise TrajectoryCorrupt(f"trajectory {self.path} is being written by another wikigym process; wait for "
                                    f"it to finish or record into another RUN_DIR") from None
        self._load(repair)

    def _load(self, repair: bool) -> None:
        records, bad_offset, bad_line = _scan(self.path)
        for i, rec in enumerate(records, start=1):
            _check_version(rec, self.path, i)
            self.done_ids.add(str(rec.get("episode_id")))
        self.count = len(records)
        if bad_offset is not None:
            if not repair:
                raise TrajectoryCorrupt(f"trajectory {self.path} line {bad_line} is truncated; rerun the same record "
                                        f"command to repair it and record that episode again")
            msg = (f"trajectory {self.path} line {bad_line} was truncated (an interrupted write); removed it, its "
                   f"episode will be recorded again")
            os.truncate(self.path, bad_offset)
            self._fsync()
            self.warnings.append(msg)
            log.warning(msg)
            warnings.warn(msg, TrajectoryRepairWarning, stacklevel=3)
        elif self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            self._fh.write(b"\n")
            self._fsync()

    def _fsync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def append(self, episode: Episode | dict[str, Any]) -> None:
        """Write one finished episode as one line (secrets redacted), then fsync."""
        data = episode.model_dump(mode="json") if isinstance(episode, Episode) else dict(episode)
        _check_version(data, self.path, self.count + 1)
        line = json_line(redact_obj(data)) + "\n"
        self._fh.write(line.encode("utf-8"))
        self._fsync()
        self.done_ids.add(str(data.get("episode_id")))
        self.count += 1

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def count_records(path: str | os.PathLike[str]) -> int:
    """How many finished episode lines a trajectories file holds (0 when it is missing); no warning, no repair."""
    p = Path(path)
    if not p.is_file() or not p.stat().st_size:
        return 0
    return len(_scan(p)[0])


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The raw JSON records of a trajectories file, each schema-checked, without building `Episode`s.

    For readers that need one episode of a large file (`wikigym verify --episode`): they pick the record first and
    validate only that one. Same rules as `iter_episodes`: a truncated last line is skipped with a warning, a corrupt
    middle line or an unknown schema version raises TrajectoryCorrupt.
    """
    p = Path(path)
    if not p.is_file():
        raise TrajectoryCorrupt(f"trajectory file {p} does not exist; pass RUN_DIR/trajectories.jsonl of a recording")
    records, bad_offset, bad_line = _scan(p)
    if bad_offset is not None:
        msg = f"trajectory {p} line {bad_line} is truncated (an interrupted write); skipped it"
        log.warning(msg)
        warnings.warn(msg, TrajectoryRepairWarning, stacklevel=3)
    for i, rec in enumerate(records, start=1):
        _check_version(rec, p, i)
    return records


def iter_episodes(path: str | os.PathLike[str]) -> Iterator[Episode]:
    """Yield the episodes of a trajectories file in order.

    Raises TrajectoryCorrupt (one line naming file and line) on an unknown schema version or a corrupt middle line;
    a truncated last line is skipped with a TrajectoryRepairWarning.
    """
    p = Path(path)
    records = read_records(p)
    for i, rec in enumerate(records, start=1):
        try:
            yield Episode.model_validate(rec)
        except Exception as e:  # pydantic.ValidationError: name the line, not a 40-line dump
            first = str(e).splitlines()
            raise TrajectoryCorrupt(f"trajectory {p} line {i} does not match {SCHEMA_VERSION}: "
                                    f"{' '.join(first[:3])}") from None


def read_episodes(path: str | os.PathLike[str]) -> list[Episode]:
    """The episodes of a trajectories file (see `iter_episodes`); a later record of an episode id supersedes earlier
    ones (a rollout retried after its policy failed appends its new record; the old line stays in the file)."""
    eps = list(iter_episodes(path))
    last = {e.episode_id: i for i, e in enumerate(eps)}
    return [e for i, e in enumerate(eps) if last[e.episode_id] == i]
