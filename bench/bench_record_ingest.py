"""Recording while the app ingests a flood, and opening a 1,000,000-frame recording in the app.

    .venv/bin/python bench/bench_record_ingest.py [--frames 200000] [--rounds 9] [--open-frames 1000000]

(1) A mock server in another process (this file with --serve) sends N EVENT frames,
framed ahead of time and written at once, to one subscriber: the real MainWindow's
connection (RealtimeClient -> LogPanel, tab, latency plot). Rounds alternate without
and with recording (the app's Recorder, i.e. the Record action: it takes each flushed
batch's columns from the log store and a child process formats and writes them); a
recording round starts once that process is up.
frames/s is measured from the first frame to the N-th in the log's store. Prints the
median of each, their ratio (and the median of each round's own ratio, less swayed by a
machine whose speed drifts), the records/s written, and the CPU each process used
per frame (less noisy than rates on a small machine).

(2) Writes a 1,000,000-frame recording (a realistic mix, 3 connections), then opens
it through RecordingUi.open_path (worker-thread prepare, bulk store fill) and
prints the seconds until the LogPanel holds every frame and the view shows the
last one, plus the time of a topic filter and a step of the replay over it.

Prints figures; no pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-record-token"
TOPIC = "bench.flood"


# ---------------------------------------------------------------- the server process
def ws_frames(payloads: list[bytes]) -> bytes:
    """Unmasked server-to-client binary WebSocket frames (RFC 6455 5.2), back to back."""
    out = []
    for p in payloads:
        n = len(p)
        head = bytes((0x82, n)) if n < 126 else bytes((0x82, 126)) + n.to_bytes(2, "big")
        out.append(head + p)
    return b"".join(out)


async def serve() -> int:
    """The real mock server for the handshake and subscription; the flood itself is framed
    ahead of time ("prepare N") and written in one go ("flood"), so the server costs next to
    no CPU during a round, as a peer on another machine would, and the two cores are left
    to the app and its recording process."""
    from inspector.mock.server import MockConfig, MockServer
    from inspector.protocol.frames import Event, encode

    server = MockServer(MockConfig(port=0, ping_interval=3600, idle_timeout=3600, max_connections_per_token=100,
                                   max_queue_bytes=2**30))
    await server.start()
    print(server.url, flush=True)
    loop = asyncio.get_running_loop()
    seq = 10**6  # above whatever the subscription's presence traffic used
    blob = b""
    while True:
        parts = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not parts or parts[0] == "quit":
            break
        if parts[0] == "prepare":
            ts = int(time.time() * 1000)
            payloads = []
            for i in range(int(parts[1])):
                seq += 1
                payloads.append(encode(Event(TOPIC, "message", ts, {"i": i, "price": i % 997 + 0.25,
                                                                     "side": "buy" if i % 2 else "sell"}, seq)))
            blob = ws_frames(payloads)
            print("prepared", flush=True)
        elif parts[0] == "flood":
            (conn,) = list(server._conns)  # the one subscriber
            conn.ws.transport.write(blob)
    await server.stop()
    return 0


class Server:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)))
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("ws://"):
            raise SystemExit(f"server did not start: {self.url!r}")

    def prepare(self, n: int) -> None:
        self.proc.stdin.write(f"prepare {n}\n")
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "prepared":
            raise SystemExit("the server could not prepare the flood")

    def flood(self) -> None:
        self.proc.stdin.write("flood\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), to see who competes for the two cores."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


# ---------------------------------------------------------------- (1) ingest with and without recording
async def one_round(window, ui, tab, server: Server, n: int, record: bool) -> tuple[float, int, dict]:
    from inspector.protocol.events import FrameSeen

    panel = window.log_panel
    server.prepare(n)
    panel.clear()
    if record:
        ui.start_recording(None)  # straight to the recordings folder, no "where to?" dialog
        assert ui.recorder.active
        ui.recorder.writer.flush()  # the recording process is up: measure recording, not its start-up
    first: list[float] = []

    def on_first(ev) -> None:
        if not first and type(ev) is FrameSeen:
            first.append(time.perf_counter())
    tab.client.add_listener(on_first)
    sink_pid = ui.recorder.writer.sink_pid if record else None
    hand0 = ui.recorder.flush_cpu
    cpu0 = {who: cpu_seconds(pid) for who, pid in (("app", os.getpid()), ("server", server.proc.pid),
                                                    ("sink", sink_pid)) if pid}
    t_flood = time.perf_counter()
    server.flood()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 600
    while panel.frame_count() < n:
        if loop.time() > deadline:
            raise SystemExit(f"only {panel.frame_count()} of {n} frames arrived")
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - first[0]
    cpu = {who: cpu_seconds(pid) - cpu0[who] for who, pid in (("app", os.getpid()), ("server", server.proc.pid),
                                                             ("sink", sink_pid)) if pid}
    print("    CPU during the round: " + ", ".join(f"{who} {sec:.2f} s" for who, sec in cpu.items())
          + f" (wall {time.perf_counter() - t_flood:.2f} s)", flush=True)
    tab.client.remove_listener(on_first)
    records = 0
    if record:
        records = ui.recorder.writer.records
        feed_cpu = ui.recorder.writer.feed_cpu
        hand_cpu = ui.recorder.flush_cpu - hand0
        done = loop.create_future()

        def on_stopped(p: str) -> None:
            if not done.done():
                done.set_result(Path(p))
        ui.recorder.stopped.connect(on_stopped)
        t_stop = time.perf_counter()
        ui.toggle_recording(None)  # the Stop button: the file is finished in the background
        t_gui = time.perf_counter() - t_stop
        path = await asyncio.wait_for(done, 60)
        ui.recorder.stopped.disconnect(on_stopped)
        print(f"    handing over: {hand_cpu / n * 1e6:.3f} µs/frame in the GUI thread, "
              f"{feed_cpu / n * 1e6:.3f} µs/frame in the feeder thread; Stop took {t_gui * 1000:.1f} ms of the "
              f"GUI thread, the file was complete after {(time.perf_counter() - t_stop) * 1000:.0f} ms", flush=True)
        if os.environ.get("BENCH_KEEP"):
            print("kept", path, flush=True)
        else:
            path.unlink()
    return n / elapsed, records, cpu


async def ingest(window, ui, server: Server, n: int, rounds: int) -> dict:
    from inspector.profiles import Profile, Subscription
    from inspector.protocol.events import State, SubState

    profile = Profile(name="bench", url=server.url, token=TOKEN, ping_interval=0.0,
                      subscriptions=[Subscription(TOPIC)])
    tab = window.open_connection(profile)
    ui.connection_opened(tab)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not (tab.client.state is State.OPEN and tab.client.subscriptions[TOPIC].state is SubState.ACTIVE):
        if loop.time() > deadline:
            raise SystemExit("did not subscribe")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    await one_round(window, ui, tab, server, min(n, 20_000), False)  # warm-up
    rates: dict[bool, list[float]] = {False: [], True: []}
    app_cpu: dict[bool, list[float]] = {False: [], True: []}
    sink_cpu = []
    records = []
    for r in range(rounds):
        for record in ((False, True) if r % 2 == 0 else (True, False)):
            print(f"  round {r + 1} {'with' if record else 'without'} recording", flush=True)
            rate, rec, cpu = await one_round(window, ui, tab, server, n, record)
            rates[record].append(rate)
            app_cpu[record].append(cpu["app"] / n)
            if record:
                records.append(rec)
                sink_cpu.append(cpu["sink"] / n)
            print(f"    {rate:,.0f} frames/s", flush=True)
    await tab.shutdown()
    return {"off": rates[False], "on": rates[True], "records": records, "cpu_off": app_cpu[False],
            "cpu_on": app_cpu[True], "sink_cpu": sink_cpu}


# ---------------------------------------------------------------- (2) open 1,000,000 frames
def write_big(path: Path, n: int) -> None:
    from inspector.protocol.events import IN, OUT, FrameSeen, RttMeasured, State, StateChanged
    from inspector.protocol.frames import Event, Ping, encode
    from inspector.recording import RecordingWriter

    t0 = time.time() - n * 0.0005
    payloads = [encode(Event(f"orders.{r}", "message", 1764300000000 + i,
                             {"id": f"o-{i}", "total": i * 7 % 900, "region": r, "note": "x" * (i % 40)}, i // 4 + 1))
                for i, r in enumerate(["eu", "us", "ap", "sa"] * 25)]
    ping = encode(Ping(b"12345678"))
    seqs = {}
    with RecordingWriter(path, profile="bench", url="ws://127.0.0.1:8765/api/v2/realtime") as w:
        for c in ("c0", "c1", "c2"):
            w.write_event(StateChanged(c, t0, State.OPEN))
        for i in range(n):
            conn, t = f"c{i % 3}", t0 + i * 0.0005
            if i % 50 == 0:
                w.write_event(FrameSeen(conn, t, OUT, ping))
                w.write_event(RttMeasured(conn, t + 0.0002, 0.002 + (i % 7) * 0.0001))
            else:
                topic = ["eu", "us", "ap", "sa"][i % 4]
                seqs[(conn, topic)] = seqs.get((conn, topic), 0) + 1
                p = payloads[i % len(payloads)]
                # a real seq per connection and topic, so the log has no spurious gaps
                w.write_event(FrameSeen(conn, t, IN, p.replace(b'"seq":%d' % (i % len(payloads) // 4 + 1),
                                                             b'"seq":%d' % seqs[(conn, topic)], 1)))


async def open_big(window, ui, path: Path) -> dict:
    from inspector.logstore.frame_store import Query

    loop = asyncio.get_running_loop()
    done = loop.create_future()
    ui.opened.connect(lambda view: done.done() or done.set_result(view))
    ui.open_failed.connect(lambda text: done.done() or done.set_exception(SystemExit(text)))
    lags: list[float] = []
    stop = False

    async def probe():  # how responsive the window stays while the worker prepares the file
        while not stop:
            t = loop.time()
            await asyncio.sleep(0.01)
            lags.append((loop.time() - t - 0.01) * 1000)
    probe_task = loop.create_task(probe())
    t0 = time.perf_counter()
    ui.open_path(path)
    view = await done  # the file opens in a view of its own
    rec, panel = view.recording, view.log_panel
    t_opened = time.perf_counter() - t0
    panel.view.scrollToBottom()
    await asyncio.sleep(0)  # let the view paint (no processEvents() inside a task: qasync re-entrancy)
    last = panel.model.rowCount() - 1
    panel.view.selectRow(last)
    await asyncio.sleep(0)
    t_usable = time.perf_counter() - t0
    stop = True
    await probe_task
    assert panel.frame_count() == rec.frame_count and panel.detail.header.text() != "No frame selected"
    t1 = time.perf_counter()
    panel.model.set_query(Query(topic="orders.eu"))
    t_filter = time.perf_counter() - t1
    shown = panel.model.rowCount()
    panel.model.set_query(Query())
    t1 = time.perf_counter()
    view.replay.seek_index(len(rec) // 2)
    t_seek = time.perf_counter() - t1
    return {"frames": rec.frame_count, "records": len(rec), "opened": t_opened, "usable": t_usable,
            "filter": t_filter, "filter_rows": shown, "seek": t_seek,
            "lag_p50": statistics.median(lags) if lags else float("nan"), "lag_max": max(lags, default=0.0),
            "status": window.status_label.text()}


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--frames", type=int, default=200_000, help="frames per flood round")
    ap.add_argument("--rounds", type=int, default=9, help="rounds of each (alternating)")
    ap.add_argument("--open-frames", type=int, default=1_000_000)
    ap.add_argument("--recording", help="open this recording instead of writing one")
    args = ap.parse_args(argv)
    if args.serve:
        return asyncio.run(serve())

    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from inspector.profiles import ProfileStore
    from inspector.qt.main_window import MainWindow
    from inspector.qt.recording.recording_ui import RecordingUi

    tmp = Path(tempfile.mkdtemp(prefix="bench-record-"))
    big = Path(args.recording) if args.recording else tmp / "big.rirec"
    if not args.recording and args.open_frames:
        t = time.perf_counter()
        write_big(big, args.open_frames)
        print(f"wrote {args.open_frames:,}-frame recording ({big.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t:.1f} s", flush=True)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    store = ProfileStore(tmp / "cfg")
    store.load()
    window = MainWindow(store, QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat))
    ui = getattr(window, "recording", None) or RecordingUi(window, directory=tmp / "recordings")
    ui.recorder.directory = tmp / "recordings"
    window.resize(1400, 900)
    window.show()
    server = Server()

    async def run() -> tuple[dict, dict | None]:
        flood = await ingest(window, ui, server, args.frames, args.rounds)
        opened = await open_big(window, ui, big) if (args.recording or args.open_frames) else None
        ui.shutdown()
        window.closed = asyncio.get_running_loop().create_future()
        window.close()
        await window.closed
        return flood, opened

    try:
        with loop:
            flood, opened = loop.run_until_complete(run())
    finally:
        server.close()
    off, on = statistics.median(flood["off"]), statistics.median(flood["on"])
    print(f"ingest without recording: {off:,.0f} frames/s (median of {len(flood['off'])})")
    print(f"ingest with recording:    {on:,.0f} frames/s (median of {len(flood['on'])}), "
          f"{on:,.0f} records/s written ({statistics.median(flood['records']):,.0f} records per round)")
    cost = max(0.0, 1 - on / off) * 100
    print(f"ratio with/without: {on / off:.3f} (recording costs {cost:.1f}% of the ingest rate; "
          f"target <= 10%)")
    # each round's two floods ran back to back
    pairs = sorted(b / a for a, b in zip(flood["off"], flood["on"], strict=True))
    print(f"  per round (with / without, run back to back): median {statistics.median(pairs):.3f}, "
          f"range {pairs[0]:.3f} .. {pairs[-1]:.3f}")
    c_off, c_on = statistics.median(flood["cpu_off"]) * 1e6, statistics.median(flood["cpu_on"]) * 1e6
    print(f"app process CPU per frame: {c_off:.2f} µs without, {c_on:.2f} µs with recording "
          f"(ratio {c_on / c_off:.3f}); "
          f"recording process: {statistics.median(flood['sink_cpu']) * 1e6:.2f} µs per frame on the other core")
    if opened:
        print(f"open {opened['frames']:,}-frame recording ({opened['records']:,} records): in the log after "
              f"{opened['opened']:.2f} s, last row selected and shown after {opened['usable']:.2f} s")
        print(f"  event-loop lag while opening: p50 {opened['lag_p50']:.1f} ms, max {opened['lag_max']:.0f} ms")
        print(f"  topic filter over it: {opened['filter']:.2f} s ({opened['filter_rows']:,} rows); "
              f"replay seek to the middle: {opened['seek']:.2f} s")
        print(f"  status: {opened['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
