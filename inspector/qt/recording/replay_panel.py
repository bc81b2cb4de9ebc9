"""Replay controls for an opened recording: play/pause, step, speed, a timeline to seek.

The log always shows the recording up to the playhead: records [0, position).
Moving forward shows the rows in between: a recording's go into the log's ring in bulk
(``FrameStore.extend_rows``), an opened session's are read from its store as painted
and hands the connection events (state, RTT, ...) to the latency plot; moving
back clears the log and refills it up to the new position. A single-shot QTimer,
armed with ``Player.next_delay()``, drives playback: nothing blocks the loop, and
"as fast as possible" moves in chunks so the window stays responsive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from inspector.qt.latency.latency_plot import LatencyPlot
from inspector.qt.log.panel import LogPanel
from inspector.recording.replay import FAST, Player

if TYPE_CHECKING:  # a recording's columns load when a file is opened
    from inspector.logstore.recording_source import PreparedRecording
    from inspector.logstore.store_document import StoreDocument

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 100.0, FAST)
FAST_CHUNK = 20_000   # records per tick at "as fast as possible"
MAX_CHUNK = 50_000    # records per tick at any speed (a long burst catches up over several ticks)
SLIDER_STEPS = 10_000


def speed_label(speed: float) -> str:
    return "as fast as possible" if speed == FAST else f"{speed:g}×"


class ReplayPanel(QWidget):
    positionChanged = Signal(int)
    message = Signal(str)

    def __init__(self, log_panel: LogPanel, latency_plot: LatencyPlot | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_panel = log_panel
        self.latency_plot = latency_plot
        self.recording: PreparedRecording | StoreDocument | None = None
        self.player: Player | None = None
        self.shown = 0  # records [0, shown) are in the log

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)

        self.name_label = QLabel("No recording")
        self.play_button = QToolButton()
        self.play_button.setText("Play")
        self.play_button.setToolTip("Play the recording from the playhead at the chosen speed")
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button = QToolButton()
        self.step_button.setText("Step")
        self.step_button.setToolTip("Show the next record")
        self.step_button.clicked.connect(self.step)
        self.speed_combo = QComboBox()
        for s in SPEEDS:
            self.speed_combo.addItem(speed_label(s), s)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.setToolTip("Replay speed")
        self.speed_combo.currentIndexChanged.connect(lambda _i: self.set_speed(self.speed_combo.currentData()))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Timeline: drag to seek")
        self.slider.sliderMoved.connect(self._slider_moved)
        self.slider.valueChanged.connect(self._slider_changed)
        self.position_label = QLabel()

        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        for w in (self.name_label, self.play_button, self.step_button, self.speed_combo):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.position_label)
        self._set_enabled(False)

    # ------------------------------------------------------------ loading

    def load(self, rec: PreparedRecording | StoreDocument, show_all: bool = True) -> None:
        """Take a new recording; show all of it at once (browse) or nothing yet."""
        self.pause()
        self.recording = rec
        self.player = Player(rec.offsets, speed=self.speed)
        self.shown = 0
        self.log_panel.clear()
        if self.latency_plot is not None:
            self.latency_plot.clear()
        self.name_label.setText(rec.name)
        self.name_label.setToolTip(str(rec.path))
        self._set_enabled(len(rec) > 0)
        self.seek_index(len(rec) if show_all else 0)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.play_button, self.step_button, self.speed_combo, self.slider):
            w.setEnabled(on)

    # ------------------------------------------------------------ controls

    @property
    def speed(self) -> float:
        speed: float = self.speed_combo.currentData()  # the items' data are the speeds
        return speed

    @property
    def playing(self) -> bool:
        return self.player is not None and self.player.playing

    @property
    def position(self) -> int:
        return self.shown

    def set_speed(self, speed: float) -> None:
        i = self.speed_combo.findData(speed)
        if i < 0:
            raise ValueError(f"unsupported speed {speed!r}")
        if i != self.speed_combo.currentIndex():
            self.speed_combo.setCurrentIndex(i)  # comes back here through the signal
            return
        if self.player is not None:
            self.player.set_speed(speed)
            if self.player.playing:
                self._arm()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        p = self.player
        if p is None or p.playing:
            return
        if p.finished:  # from the end: start over
            self.seek_index(0)
        p.play()
        self.play_button.setText("Pause")
        self._arm()

    def pause(self) -> None:
        self._timer.stop()
        if self.player is not None and self.player.playing:
            self.player.pause()
        self.play_button.setText("Play")

    def step(self) -> int | None:
        """Show exactly one more record (pausing playback); its index, or None at the end."""
        if self.player is None or self.recording is None:
            return None
        self.pause()
        i = self.player.step()
        if i is None:
            self.message.emit(f"{self.recording.name}: end of recording")
            return None
        self._show_until(self.player.position)
        return i

    def seek_index(self, index: int) -> None:
        if self.player is None:
            return
        self._show_until(self.player.seek_index(index))

    def seek(self, offset: float) -> None:
        """Jump to ``offset`` seconds from the recording's first record."""
        if self.player is None:
            return
        self._show_until(self.player.seek(offset))

    # ------------------------------------------------------------ playback

    def _arm(self) -> None:
        p, rec = self.player, self.recording
        delay = p.next_delay() if p is not None else None
        if delay is None:
            if p is not None and p.finished and rec is not None:
                self.pause()
                self.message.emit(f"{rec.name}: replay finished")
            return
        self._timer.start(0 if delay <= 0 else max(1, int(delay * 1000)))

    def _tick(self) -> None:
        p = self.player
        if p is None or not p.playing:
            return
        p.take_due(FAST_CHUNK if p.speed == FAST else MAX_CHUNK)
        self._show_until(p.position)
        self._arm()

    # ------------------------------------------------------------ feeding the log

    def _show_until(self, k: int) -> None:
        rec = self.recording
        if rec is None:
            return
        k = min(max(k, 0), len(rec))
        if k < self.shown:  # back: rebuild from the start, the graph too
            self.log_panel.clear()
            if self.latency_plot is not None:
                self.latency_plot.clear()
            self.shown = 0
        if k > self.shown:
            rec.show_rows(self.log_panel.log_rows(), self.shown, k)
            if self.latency_plot is not None:
                for ev in rec.events_between(self.shown, k):
                    self.latency_plot.ingest(ev)
            self.shown = k
            self.log_panel.flush()
        self._update_position()
        self.positionChanged.emit(k)

    def _update_position(self) -> None:
        rec, p = self.recording, self.player
        if rec is None or p is None:
            return
        duration = p.timeline.duration
        at = p.timeline.offset_of(self.shown - 1) if self.shown else 0.0
        self.slider.blockSignals(True)
        self.slider.setValue(round(at / duration * SLIDER_STEPS) if duration > 0 else
                             (SLIDER_STEPS if self.shown else 0))
        self.slider.blockSignals(False)
        # frames, as the recorder, the log and the status line count them; records add connection events
        frames = rec.frames_until(self.shown)
        self.position_label.setText(f"{at:,.3f} / {duration:,.3f} s · frame {frames:,} / {rec.frame_count:,}")
        self.position_label.setToolTip(f"record {self.shown:,} of {len(rec):,} (frames and connection events)")

    def _slider_moved(self, value: int) -> None:
        if self.player is None or self.recording is None:
            return
        duration = self.player.timeline.duration
        offset = value / SLIDER_STEPS * duration
        # seek to "just after" the offset so the record at the handle is shown
        self._show_until(self.player.seek(offset + 1e-9) if value < SLIDER_STEPS else self.player.seek_index(
            len(self.recording)))
        if self.player.playing:
            self._arm()

    def _slider_changed(self, value: int) -> None:
        if not self.slider.isSliderDown():  # keyboard and clicks on the groove
            self._slider_moved(value)
