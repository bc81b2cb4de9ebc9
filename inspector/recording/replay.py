"""Replay pacing, independent of asyncio and Qt.

``pace`` turns timed items into (delay, item) pairs for a simple loop that sleeps
``delay`` before showing each item. ``Player`` is the same clock as a state machine
for an event loop (play, pause, step, speed, seek on a timeline): ask it
``next_delay()``, arm a timer for that long, then ``take_due()``.
Delays are computed against an anchor (not item to item), so slow consumers do
not accumulate drift.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, Union

if TYPE_CHECKING:
    import numpy.typing as npt

T = TypeVar("T")


class IndexedOffsets(Protocol):
    """Offsets worked out when asked (an opened session's, ``store_document.StoreOffsets``)."""

    def __len__(self) -> int: ...
    def __getitem__(self, i: int, /) -> float: ...
    def searchsorted(self, offset: float, side: str = "left") -> int: ...


# a list, a recording's numpy column, or offsets worked out when asked
Offsets = Union[Sequence[float], "npt.NDArray[Any]", IndexedOffsets]

MIN_SPEED = 0.1
MAX_SPEED = 100.0
FAST = 0.0  # speed 0: as fast as possible


def check_speed(speed: float) -> float:
    """``speed`` when it is 0 (as fast as possible) or within 0.1 … 100, else ValueError."""
    speed = float(speed)
    if speed == FAST or MIN_SPEED <= speed <= MAX_SPEED:
        return speed
    raise ValueError(f"speed must be 0 (as fast as possible) or between {MIN_SPEED:g} and {MAX_SPEED:g}, not {speed:g}")


def _time_attr(item: Any) -> float:
    t: float = item.t
    return t


def pace(items: Iterable[T], speed: float = 1.0, time_of: Callable[[T], float] = _time_attr,
         clock: Callable[[], float] = time.monotonic) -> Iterator[tuple[float, T]]:
    """Yield (delay, item): wait ``delay`` seconds, then show ``item``.

    The first item comes at once; each later one at its recorded offset from the
    first divided by ``speed``. Items recorded out of order come without delay.
    """
    speed = check_speed(speed)
    anchor_clock: float | None = None
    anchor_t = 0.0
    for item in items:
        t = time_of(item)
        if anchor_clock is None or speed == FAST:
            if anchor_clock is None:
                anchor_clock, anchor_t = clock(), t
            yield 0.0, item
            continue
        yield max(0.0, anchor_clock + (t - anchor_t) / speed - clock()), item


class Timeline:
    """Offsets (seconds, non-decreasing) of a recording's records, for seeking."""

    def __init__(self, offsets: Offsets):
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets)

    @property
    def duration(self) -> float:
        return float(self.offsets[-1] - self.offsets[0]) if len(self.offsets) else 0.0

    def index_at(self, offset: float) -> int:
        """The first record at or after ``offset`` (len() when past the end)."""
        searchsorted = getattr(self.offsets, "searchsorted", None)
        if searchsorted is not None:  # numpy columns
            return int(searchsorted(offset, side="left"))
        return bisect.bisect_left(self.offsets, offset)

    def offset_of(self, index: int) -> float:
        if not len(self.offsets):
            return 0.0
        return float(self.offsets[min(max(index, 0), len(self.offsets) - 1)])


class Player:
    """Playback position over a Timeline, driven by an external timer.

    ``position`` is the index of the next record to show. The playback clock maps
    real time to recording offsets: offset = anchor_offset + (clock() - anchor) × speed.
    """

    def __init__(self, offsets: Offsets | Timeline, speed: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self.timeline = offsets if isinstance(offsets, Timeline) else Timeline(offsets)
        self.speed = check_speed(speed)
        self._clock = clock
        self.position = 0
        self.playing = False
        self._anchor = 0.0
        self._anchor_offset = self.timeline.offset_of(0)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.timeline)

    def offset(self) -> float:
        """Where playback is on the timeline now (seconds from the recording's start)."""
        if not self.playing or self.speed == FAST:
            return self._anchor_offset
        return self._anchor_offset + (self._clock() - self._anchor) * self.speed

    def _reanchor(self, offset: float) -> None:
        self._anchor, self._anchor_offset = self._clock(), offset

    def play(self) -> None:
        if not self.playing:
            self.playing = True
            self._reanchor(self._anchor_offset)

    def pause(self) -> None:
        if self.playing:
            self._reanchor(self.offset())
            self.playing = False

    def set_speed(self, speed: float) -> None:
        speed = check_speed(speed)
        offset = self.offset()
        self.speed = speed
        self._reanchor(offset)

    def seek(self, offset: float) -> int:
        """Jump to ``offset`` seconds; returns the new position."""
        self.position = self.timeline.index_at(offset)
        self._reanchor(offset)
        return self.position

    def seek_index(self, index: int) -> int:
        self.position = min(max(index, 0), len(self.timeline))
        self._reanchor(self.timeline.offset_of(self.position))
        return self.position

    def step(self) -> int | None:
        """Show the next record regardless of time (for a paused player); its index or None."""
        if self.finished:
            return None
        i = self.position
        self.position += 1
        self._reanchor(self.timeline.offset_of(i))
        return i

    def next_delay(self) -> float | None:
        """Seconds until the next record is due; None when paused or finished."""
        if not self.playing or self.finished:
            return None
        if self.speed == FAST:
            return 0.0
        due = self.timeline.offset_of(self.position)
        return max(0.0, (due - self.offset()) / self.speed)

    def take_due(self, limit: int | None = None) -> range:
        """Indices of the records due now (at most ``limit``), advancing the position."""
        if not self.playing or self.finished:
            return range(self.position, self.position)
        if self.speed == FAST:
            end = len(self.timeline)
        else:
            end = self.timeline.index_at(self.offset() + 1e-9)
            # a record sitting exactly at "now" is due
            end = max(end, self.position + 1) if self.next_delay() == 0.0 else end
        if limit is not None:
            end = min(end, self.position + limit)
        start, self.position = self.position, max(self.position, end)
        if self.speed == FAST and not self.finished:
            self._anchor_offset = self.timeline.offset_of(self.position)
        return range(start, self.position)
