"""The text of many frame records at once: the recording sink's hot path.

``frame_line`` (format.py) spends much of its time in ``repr`` of the wall
time. ``frames_text`` writes the numbers of a whole batch with integer
arithmetic in numpy, straight into a matrix of ASCII digits, and leaves only
base64 to a per-frame call.

``w`` gets 7 decimal places, not the shortest form: between 2**30 and 2**31 s
(years 2004 to 2038) doubles are 2**-22 s (2.4e-7) apart, so the nearest
7-place decimal (within 5e-8) reads back as the very same float. ``t`` gets the
6 places that ``frame_line`` gives it. Times outside that range, before the
recording's start, or not floats are left to ``frame_line``.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

# A value per row (a list, array.array or numpy array), or a 1-tuple standing for every row.
Column: TypeAlias = "Sequence[Any] | npt.NDArray[Any]"
# Fixed bytes, or (ints, k): the ints as k zero-padded digits.
_Field: TypeAlias = "bytes | tuple[npt.NDArray[np.integer[Any]], int]"

_ULPS = 1 << 22                                  # 2**-22 s steps in a second, in [2**30, 2**31)
_TENS = 10 ** np.arange(1, 19, dtype=np.int64)   # for counting the digits of t's integer part


def frames_text(start: float, ts: Column, datas: Sequence[bytes], conns: Sequence[str], outs: Column,
                texts: Column) -> bytes | None:
    """The record lines (ASCII) of frames seen at wall times ``ts`` with bytes ``datas``.

    ``conns`` (connection ids as JSON strings), ``outs`` and ``texts`` (bools) are
    lists with a value per frame, or 1-tuples that stand for every frame. None when
    a time is not a float in range: the caller then uses ``frame_line``."""
    prefixes = _prefixes(start, ts)
    if prefixes is None:
        return None
    n = len(prefixes)
    if len(conns) == len(outs) == 1:
        middles = [_middle(conns[0], outs[0])] * n
    else:
        known: dict[tuple[str, Any], bytes] = {}
        keys = zip(_full(conns, n), _full(outs, n), strict=False)
        middles = [known.get(k) or known.setdefault(k, _middle(*k)) for k in keys]
    ends = [_end(texts[0])] * n if len(texts) == 1 else list(map(_end, texts))
    b64 = binascii.b2a_base64
    pieces: list[bytes] = [b""] * (4 * n)
    pieces[0::4] = prefixes
    pieces[1::4] = middles
    pieces[2::4] = [b64(d, newline=False) for d in datas]
    pieces[3::4] = ends
    return b"".join(pieces)


def _full(column: Column, n: int) -> Iterable[Any]:
    return repeat(column[0], n) if type(column) is tuple else column


def _middle(conn_json: str, out: bool) -> bytes:
    return b',"c":' + conn_json.encode("ascii") + (b',"d":"out","b":"' if out else b',"d":"in","b":"')


def _end(text: bool) -> bytes:
    return b'","x":true}\n' if text else b'"}\n'


def _prefixes(start: float, ts: Column) -> list[bytes] | None:
    """``{"t":…,"w":…`` of each line; None if a time is not a float in range."""
    w = np.asarray(ts)
    n = len(w)
    if w.dtype != np.float64 or not n or not (w.min() >= 2.0**30 and w.max() < 2.0**31):  # NaN: False
        return None
    t = w - start  # the same subtraction as frame_line
    if not t.min() >= 0:
        return None
    us = np.rint(t * 1e6).astype(np.int64)
    t_int, t_frac = np.divmod(us, 10**6)
    m = (w * _ULPS).astype(np.int64)  # exact: a power-of-two scale of a number with 22 fraction bits
    sec = m >> 22
    # the nearest 7-place decimal; at most .9999998 (2**22 - 1 steps), so never a carry
    frac = ((m & (_ULPS - 1)) * 10**7 + (_ULPS >> 1)) >> 22
    digits = np.searchsorted(_TENS, t_int, side="right") + 1
    kmax = int(digits.max())
    # one row per line, left-aligned; shorter rows end in NULs, which numpy's "S" type drops
    rows = np.zeros((n, 35 + kmax), np.uint8)
    for k in np.unique(digits).tolist():
        sel = slice(None) if int(digits.min()) == kmax else np.flatnonzero(digits == k)
        fields: tuple[_Field, ...] = (b'{"t":', (t_int[sel], k), b".", (t_frac[sel], 6),
                                      b',"w":', (sec[sel], 10), b".", (frac[sel], 7))
        rows[sel, :35 + k] = _ascii(fields, len(t_int[sel]), 35 + k)
    lines: list[bytes] = rows.view(f"S{rows.shape[1]}").ravel().tolist()
    return lines


def _ascii(fields: tuple[_Field, ...], n: int, width: int) -> npt.NDArray[np.uint8]:
    """A (n, width) matrix of ASCII codes: fixed bytes, and (ints, k) as k zero-padded digits."""
    out = np.empty((n, width), np.uint8)
    col = 0
    for field in fields:
        if isinstance(field, bytes):
            out[:, col:col + len(field)] = np.frombuffer(field, np.uint8)
            col += len(field)
        else:
            values, k = field
            # uint32 when it fits: numpy's floor division by a scalar is much cheaper on it
            values = values.astype(np.uint32 if values.max() < 2**32 else np.uint64)
            for j in range(col + k - 1, col - 1, -1):  # last digit first (np.divmod is much slower)
                rest = values // 10
                out[:, j] = values - rest * 10 + 48
                values = rest
            col += k
    return out
