"""Node.js filesystem and value semantics that SemanticWiki's tool outputs depend on, reproduced in Python.

SemanticWiki's tools are thin wrappers around Node's `fs` and `path`; the strings a model sees carry Node's habits:
UTF-8 decoding that replaces invalid bytes with U+FFFD (WHATWG decoder), `readdir` entries in byte order (libuv
sorts with `strcmp`), libuv error messages (`ENOENT: no such file or directory, open '<path>'`), the
`ERR_INVALID_ARG_TYPE` text for non-string paths, JavaScript's number-to-string, truthiness and loose comparison.

What it deliberately does not do: decide containment (see `paths.py`) or format any tool's output.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import math
import os
import re
import stat as _stat
from dataclasses import dataclass
from typing import Any

from wikigym.tools.context import NodeError
from wikigym.tools.search.jsstr import JS_WHITESPACE

# Node refuses to build strings longer than this (V8's String::kMaxLength on 64-bit).
MAX_STRING_LENGTH = 0x1FFFFFE8
# `fs.readFile` refuses files of 2 GiB and more (kIoMaxLength).
MAX_READ_LENGTH = 2**31 - 1

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "undefined"})()
"""Stands for JavaScript's `undefined` (a key absent from the tool input)."""

# libuv's messages (uv_strerror) for the errors file tools meet.
_UV_MESSAGES = {
    "ENOENT": "no such file or directory",
    "EACCES": "permission denied",
    "EPERM": "operation not permitted",
    "EISDIR": "illegal operation on a directory",
    "ENOTDIR": "not a directory",
    "EEXIST": "file already exists",
    "ENOTEMPTY": "directory not empty",
    "ELOOP": "too many symbolic links encountered",
    "ENAMETOOLONG": "name too long",
    "EXDEV": "cross-device link not permitted",
    "EINVAL": "invalid argument",
    "EBUSY": "resource busy or locked",
    "EMFILE": "too many open files",
    "ENFILE": "file table overflow",
    "ENOSPC": "no space left on device",
    "EROFS": "read-only file system",
    "EIO": "i/o error",
    "EFBIG": "file too large",
    "ETXTBSY": "text file is busy",
    "ENXIO": "no such device or address",
    "ENODEV": "no such device",
    "EAGAIN": "resource temporarily unavailable",
}


def uv_code(err: OSError) -> str:
    """The symbolic errno name libuv reports (`ENOENT`), or `EIO` for an unknown one."""
    return _errno.errorcode.get(err.errno or 0, "EIO")


def uv_message(code: str, syscall: str, path: str | None = None, dest: str | None = None) -> str:
    """Node's message for a failed fs call: `CODE: description, syscall 'path'` (and ` -> 'dest'`)."""
    desc = _UV_MESSAGES.get(code, os.strerror(getattr(_errno, code, 5)).lower())
    msg = f"{code}: {desc}, {syscall}"
    if path is not None:
        msg += f" '{path}'"
    if dest is not None:
        msg += f" -> '{dest}'"
    return msg


def node_error(err: OSError, syscall: str, path: str | None = None, dest: str | None = None) -> NodeError:
    """Turn a Python OSError into the NodeError Node would have thrown for the same syscall."""
    code = uv_code(err)
    return NodeError(uv_message(code, syscall, path, dest), code)


# ---------------------------------------------------------------------------------------------------------------
# Values: JavaScript's String(), typeof, truthiness and ERR_INVALID_ARG_TYPE's "Received ..." text.


def js_number_to_string(x: float) -> str:
    """ECMAScript Number::toString(10): shortest round-trip digits, exponent form outside [1e-7, 1e21)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        try:
            x = float(x)
        except OverflowError:
            return "Infinity" if x > 0 else "-Infinity"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))
    mant, _, exp = r.partition("e")
    intpart, _, frac = mant.partition(".")
    if frac == "0":
        frac = ""
    digits = (intpart + frac).lstrip("0")
    # value = 0.digits * 10**n
    n = len(intpart.lstrip("0")) if intpart.strip("0") else -(len(frac) - len(frac.lstrip("0")))
    n += int(exp) if exp else 0
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        es = f"+{e}" if e >= 0 else str(e)
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + es
    return sign + s


def js_string(value: Any) -> str:
    """JavaScript's `String(value)` / template-literal interpolation for JSON-shaped values."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number_to_string(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if v is None or v is MISSING else js_string(v) for v in value)
    return "[object Object]"


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: '', 0, NaN, null, undefined and false are falsy; [] and {} are truthy."""
    if value is MISSING or value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    if isinstance(value, str):
        return value != ""
    return True


_DECIMAL = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity)")


def js_to_number(value: Any) -> float:
    """ECMAScript ToNumber (with ToPrimitive for arrays and objects)."""
    if value is MISSING:
        return math.nan
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, (list, dict)):
        return js_to_number(js_string(value))
    s = str(value).strip(JS_WHITESPACE)
    if s == "":
        return 0.0
    low = s[:2].lower()
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if low == prefix:
            try:
                return float(int(s[2:], base)) if s[2:] and "_" not in s else math.nan
            except ValueError:
                return math.nan
    if not _DECIMAL.fullmatch(s):
        return math.nan
    if s.endswith("Infinity"):
        return -math.inf if s.startswith("-") else math.inf
    return float(s)


def js_ge(a: float, b: Any) -> bool:
    """`a >= b` for a number `a` and any JSON value `b` (loose comparison; NaN compares false)."""
    nb = js_to_number(b)
    if math.isnan(nb) or math.isnan(a):
        return False
    return a >= nb


def received_text(value: Any) -> str:
    """The `Received ...` tail of Node's ERR_INVALID_ARG_TYPE message (Node 20 `determineSpecificType`)."""
    if value is MISSING:
        return "Received undefined"
    if value is None:
        return "Received null"
    if isinstance(value, bool):
        return f"Received type boolean ({'true' if value else 'false'})"
    if isinstance(value, (int, float)):
        return f"Received type number ({js_number_to_string(value)})"
    if isinstance(value, list):
        return "Received an instance of Array"
    if isinstance(value, dict):
        return "Received an instance of Object"
    s = str(value)
    if len(s) > 28:
        s = s[:25] + "..."
    return f"Received type string ('{s}')"


def require_string(value: Any, name: str = "path") -> str:
    """Raise Node's TypeError text unless `value` is a string (what `path.join` does with each argument)."""
    if not isinstance(value, str):
        message = f'The "{name}" argument must be of type string. {received_text(value)}'
        raise NodeError(message, "ERR_INVALID_ARG_TYPE")
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def node_stdout_text(s: str) -> str:
    """The text Node writes for a JavaScript string: surrogate pairs joined, a lone surrogate as U+FFFD.

    Tool outputs can hold half of a pair (SemanticWiki slices strings by UTF-16 units); Python cannot encode that
    to UTF-8 at all, Node prints the replacement character.
    """
    joined = s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _LONE_SURROGATE.sub("\ufffd", joined)


def js_utf8(s: str) -> bytes:
    """A JavaScript string as `Buffer.from(s, 'utf-8')` writes it: UTF-8, lone surrogates replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", s).encode("utf-8")


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, as JavaScript's `String.prototype.length` counts."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


# ---------------------------------------------------------------------------------------------------------------
# Reading files and directories.


def decode_utf8(data: bytes) -> str:
    """Node's `buffer.toString('utf8')`: invalid sequences become U+FFFD (maximal subparts), BOM kept."""
    return data.decode("utf-8", errors="replace")


def exists(path: str) -> bool:
    """`fs.existsSync`: follows symlinks; False for any error, including NUL bytes in the path."""
    if "\x00" in path:
        return False
    try:
        os.stat(path)
        return True
    except (OSError, ValueError):
        return False


def read_text(path: str) -> str:
    """`fs.readFileSync(path, 'utf-8')` with Node's errors (`EISDIR: illegal operation on a directory, read`)."""
    if "\x00" in path:
        raise NodeError(f"The argument 'path' must be a string, Uint8Array, or URL without null bytes. "
                        f"Received {_inspect_string(path)}", "ERR_INVALID_ARG_VALUE")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise node_error(e, "open", path) from None
    try:
        st = os.fstat(fd)
        if _stat.S_ISDIR(st.st_mode):
            raise NodeError(uv_message("EISDIR", "read"), "EISDIR")
        if st.st_size > MAX_READ_LENGTH:
            raise NodeError(f"File size ({st.st_size}) is greater than 2 GiB", "ERR_FS_FILE_TOO_LARGE")
        chunks = []
        while True:
            try:
                block = os.read(fd, 1 << 20)
            except OSError as e:
                raise node_error(e, "read") from None
            if not block:
                break
            chunks.append(block)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > MAX_STRING_LENGTH:
        text = decode_utf8(data)
        if utf16_len(text) > MAX_STRING_LENGTH:
            raise NodeError("Cannot create a string longer than 0x1fffffe8 characters", "ERR_STRING_TOO_LONG")
        return text
    return decode_utf8(data)


def _inspect_string(s: str) -> str:
    """util.inspect of a string, as Node prints it in argument errors (single quotes unless the string has one)."""
    esc = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\x00", "\\x00")
    if "'" not in esc:
        return f"'{esc}'"
    if '"' not in esc:
        return f'"{esc}"'
    return "`" + esc + "`"


@dataclass(frozen=True)
class Dirent:
    """One `fs.readdirSync(..., {withFileTypes: true})` entry: the name as Node decodes it and its d_type."""

    name: str
    is_dir: bool
    is_symlink: bool
    is_file: bool


def write_bytes(path: str, data: bytes, flags: int) -> None:
    """`fs.writeFileSync` with explicit open flags: open, write everything, close; Node's error strings on failure."""
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as e:
        raise node_error(e, "open", path) from None
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError as e:
        raise node_error(e, "write") from None
    finally:
        os.close(fd)


def readdir(path: str) -> list[Dirent]:
    """`fs.readdirSync(path, {withFileTypes: true})` in libuv's order (byte order of the names).

    Symlinks are reported as symlinks (so `isDirectory()` is false for a link to a directory), as Node does.
    """
    if "\x00" in path:
        raise NodeError(f"The argument 'path' must be a string, Uint8Array, or URL without null bytes. "
                        f"Received {_inspect_string(path)}", "ERR_INVALID_ARG_VALUE")
    try:
        with os.scandir(os.fsencode(path)) as it:
            raw = list(it)
    except OSError as e:
        raise node_error(e, "scandir", path) from None
    out = []
    for e in sorted(raw, key=lambda d: d.name):
        try:
            is_link = e.is_symlink()
            is_dir = (not is_link) and e.is_dir(follow_symlinks=False)
            is_file = (not is_link) and e.is_file(follow_symlinks=False)
        except OSError:
            is_link = is_dir = is_file = False
        out.append(Dirent(decode_utf8(e.name), is_dir, is_link, is_file))
    return out


_libc = None


def realpath(path: str) -> str:
    """`fs.realpath` (libuv calls realpath(3)); raises NodeError with syscall `realpath` on failure."""
    global _libc
    if "\x00" in path:
        raise NodeError(f"The argument 'path' must be a string, Uint8Array, or URL without null bytes. "
                        f"Received {_inspect_string(path)}", "ERR_INVALID_ARG_VALUE")
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        _libc.realpath.restype = ctypes.c_void_p
        _libc.realpath.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        _libc.free.argtypes = [ctypes.c_void_p]
    ptr = _libc.realpath(os.fsencode(path), None)
    if not ptr:
        err = ctypes.get_errno()
        code = _errno.errorcode.get(err, "EIO")
        raise NodeError(uv_message(code, "realpath", path), code)
    try:
        return os.fsdecode(ctypes.string_at(ptr))
    finally:
        _libc.free(ptr)


def extname(p: str) -> str:
    """Node's `path.posix.extname` ('.ts' for 'a/b.ts', '' for '.env' and '..', '.' for 'a.')."""
    start_dot = -1
    start_part = 0
    end = -1
    matched_slash = True
    pre_dot_state = 0
    for i in range(len(p) - 1, -1, -1):
        ch = p[i]
        if ch == "/":
            if not matched_slash:
                start_part = i + 1
                break
            continue
        if end == -1:
            matched_slash = False
            end = i + 1
        if ch == ".":
            if start_dot == -1:
                start_dot = i
            elif pre_dot_state != 1:
                pre_dot_state = 1
        elif start_dot != -1:
            pre_dot_state = -1
    if (start_dot == -1 or end == -1 or pre_dot_state == 0
            or (pre_dot_state == 1 and start_dot == end - 1 and start_dot == start_part + 1)):
        return ""
    return p[start_dot:end]
