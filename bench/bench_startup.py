"""Time from process start to a painted, usable main window: the app against a bare PySide6 window.

    .venv/bin/python bench/bench_startup.py [--runs 7] [--platform offscreen|xcb] [--bundle DIR] [--against DIR]

Both are started as a fresh `python` process. The bare child imports PySide6, creates the
QApplication and shows a bare QMainWindow; the app's child runs the app exactly as
`realtime-inspector` does (inspector.cli.main), which imports PySide6 and makes its QApplication
itself (after its modules that do not use Qt, with its own Qt arguments): the probe goes onto that
application as the app styles it, right after making it (``apply_style``, wrapped once the app's
module has loaded). --qapp-first starts the app's child as the bare one starts (PySide6 imported
and the QApplication made by the probe first, then the app run on it): the figures of earlier
sessions. The clock runs from just before the process is spawned until the
main window's first paint event, when the event loop is running; the bare child then exits at
once. The app's child goes on to the first live frame: the first frame row in the log's table (in
its store, and the table caught up with the store; the app starts on the embedded mock with
demo traffic), timed from the same spawn.
The child's probe is a Python event filter on the whole application (every event of every object
goes through Python: a wrapper, and its class, for each); --window-probe watches the application
only until a main window appears, then that window alone, as close to a start without a probe as
it gets. The wide probe costs the bare window about a third of its CPU (it makes the classes the
app's own imports make anyway): the ratio by --window-probe is the harder one.
Each child also reports the CPU time it used up to its first paint (user + system, every thread),
and the app's up to its first live frame: figures that the machine's other load sways far less
than the wall clock does.
One warm-up run of each is discarded (warm caches, compiled .pyc files: PYTHONDONTWRITEBYTECODE
is dropped for the children, as an installed app has its .pyc files), then the median, min and
max of --runs. The bare window and the app take turns, run by run, so both see the same load
on a shared machine.

--against DIR also times the app of another checkout of the project (``git worktree add DIR main``)
in the same rotation (bare, app, other app, run by run): a change's before and after side by side,
under the same load.

--callgrind counts instead the instructions each child runs up to its first paint, under valgrind's
callgrind (the bare window, the app, and --against's app; one run each): a figure that the load of
a shared machine does not sway, for a change's before and after when the wall clock cannot tell.

--bundle DIR also times the frozen app (DIR/realtime-inspector --self-test) up to its first
self-test line, which it prints once the window is shown and the loop runs; a proxy, since no
code can be injected into the bundle.

Uses a throwaway config folder, so the app starts like a first run with the embedded mock and
demo traffic. For a real X11 window run it under `xvfb-run -a ... --platform xcb`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


FRAME_POLL_MS = 2
PAINT_ONLY_ENV = "BENCH_STARTUP_PAINT_ONLY"  # the child exits at its first paint (--callgrind)


def child(what: str, root: Path = ROOT, narrow: bool = False, qapp_first: bool = False) -> None:
    """Runs in the measured process: report the first paint of the main window (and for the app
    its first frame row in the log), then exit."""
    if what == "app" and not qapp_first:
        _probe_the_app(root, narrow)
        return
    app = _probe(what, narrow)
    if what == "bare":
        from PySide6.QtWidgets import QLabel, QMainWindow
        window = QMainWindow()
        window.setCentralWidget(QLabel("bare PySide6 window"))
        window.resize(1200, 800)
        window.show()
        app.exec()
    else:
        sys.path.insert(0, str(root))
        from inspector.cli.main import main

        main([])
    raise SystemExit("exited without painting a main window")


def _probe_the_app(root: Path, narrow: bool) -> None:
    """The app as it starts: the probe goes onto its QApplication when the app styles it."""
    import importlib.abc
    import importlib.machinery

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "inspector.qt.app":
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                style = module.apply_style

                def apply_style(app):
                    _probe("app", narrow, app)
                    style(app)
                module.apply_style = apply_style
            spec.loader.exec_module = exec_module
            return spec

    sys.path.insert(0, str(root))
    sys.meta_path.insert(0, Hook())
    from inspector.cli.main import main

    main([])
    raise SystemExit("exited without painting a main window")


def _probe(what: str, narrow: bool, app=None):
    """The probe on ``app`` (made here when None); the application."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    def first_frame() -> None:
        for w in QApplication.topLevelWidgets():
            log_panel = getattr(w, "log_panel", None)
            # a frame in the store and the table caught up with it: the row is shown, not only stored
            if (log_panel is not None and log_panel.frame_count() > 0
                    and log_panel.model.rowCount() >= len(log_panel.rows)):
                cpu = os.times()
                print(f"frame {time.time():.6f} {cpu.user + cpu.system:.6f}", flush=True)
                os._exit(0)

    class FirstPaint(QObject):
        painted = False

        def eventFilter(self, obj, event):
            if (not self.painted and event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow)
                    and obj.isVisible()):
                self.painted = True
                cpu = os.times()
                print(f"painted {time.time():.6f} {cpu.user + cpu.system:.6f}", flush=True)
                if what == "bare" or os.environ.get(PAINT_ONLY_ENV):
                    os._exit(0)
                poll.start(FRAME_POLL_MS)
            return False

    class FirstWindow(QObject):
        """Watches the whole application only until a main window shows up, then hands that
        window alone to ``spy``: a Python filter on every event of every object makes a wrapper
        (and its class) for each, a cost of the probe (a quarter of the bare window's start) that
        grows with the app's widget count and that no real start pays."""

        found = False

        def eventFilter(self, obj, event):
            if not self.found and isinstance(obj, QMainWindow):
                self.found = True
                app.removeEventFilter(self)
                obj.installEventFilter(spy)
            return False

    if app is None:
        app = QApplication([sys.argv[0]])
    poll = QTimer(app)
    poll.timeout.connect(first_frame)
    spy = FirstPaint(app)
    finder = FirstWindow(app)
    app.installEventFilter(finder if narrow else spy)
    return app


def spawn(cmd: list[str], env: dict[str, str], marker: str, until: str = "painted") -> dict[str, float]:
    """Seconds from spawning ``cmd`` to each time it reports ("painted", "frame"), up to ``until``
    (or to its first ``marker`` line, as "painted")."""
    start = time.time()
    seen: dict[str, float] = {}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith(("painted ", "frame ")):
                what, when, *cpu = line.split()
                seen[what] = float(when) - start
                if cpu:
                    seen[f"{what} cpu"] = float(cpu[0])
            elif marker and line.startswith(marker):
                seen["painted"] = time.time() - start
            if until in seen:
                return seen
        raise RuntimeError(f"{cmd[-1]}: no {until} (exit {proc.wait()})")
    finally:
        proc.kill()
        proc.wait()


def report(label: str, times: list[float]) -> None:
    print(f"{label:<34} median {statistics.median(times) * 1000:6.0f} ms   "
          f"min {min(times) * 1000:6.0f}   max {max(times) * 1000:6.0f}   (n={len(times)})", flush=True)


def measure(label: str, cmd: list[str], env: dict[str, str], runs: int, marker: str = "") -> list[float]:
    """The first paint's times (reported under ``label``)."""
    spawn(cmd, env, marker)  # warm-up
    times = [spawn(cmd, env, marker)["painted"] for _ in range(runs)]
    report(label, times)
    return times


def _ratios(label: str, num: list[float], den: list[float]) -> None:
    ratios = [a / b for a, b in zip(num, den, strict=True)]
    print(f"{label:<34} median {statistics.median(ratios):6.2f}      "
          f"min {min(ratios):6.2f}   max {max(ratios):6.2f}", flush=True)


def measure_side_by_side(env: dict[str, str], runs: int, against: Path | None = None, narrow: bool = False,
                         qapp_first: bool = False) -> tuple[list[float], list[float]]:
    """The bare window and the app (and ``against``'s app), one run of each in turn (after a
    warm-up of each)."""
    probe = (["--window-probe"] if narrow else []) + (["--qapp-first"] if qapp_first else [])
    bare_cmd = [sys.executable, __file__, "--child", "bare", *probe]
    apps = {"realtime-inspector (python)": [sys.executable, __file__, "--child", "app", *probe]}
    if against is not None:
        apps[f"against {against}"] = [sys.executable, __file__, "--child", "app", "--root", str(against), *probe]
    spawn(bare_cmd, env, "")
    for cmd in apps.values():
        spawn(cmd, env, "", "frame")
    bare: list[dict[str, float]] = []
    seen: dict[str, list[dict[str, float]]] = {label: [] for label in apps}
    for _ in range(runs):
        bare.append(spawn(bare_cmd, env, ""))
        for label, cmd in apps.items():
            seen[label].append(spawn(cmd, env, "", "frame"))
    report("bare PySide6 window", [b["painted"] for b in bare])
    for label, app in seen.items():
        report(label, [a["painted"] for a in app])
        report("  first live frame in the log", [a["frame"] for a in app])
        _ratios("  app/bare, run by run", [a["painted"] for a in app], [b["painted"] for b in bare])
    report("CPU to paint, bare", [b["painted cpu"] for b in bare])
    for label, app in seen.items():
        report(f"CPU to paint, {label.split(' (')[0]}", [a["painted cpu"] for a in app])
        _ratios("  CPU app/bare, run by run", [a["painted cpu"] for a in app], [b["painted cpu"] for b in bare])
        report("  CPU to the first live frame", [a["frame cpu"] for a in app])
    first = next(iter(seen.values()))
    return [b["painted"] for b in bare], [a["painted"] for a in first]


def instructions_to_paint(cmd: list[str], env: dict[str, str]) -> int:
    """The instructions ``cmd`` runs up to its first paint, as callgrind counts them (every thread)."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-cg-") as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
                       env={**env, PAINT_ONLY_ENV: "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False, timeout=900)
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"{cmd[-1]}: callgrind wrote no total")


def measure_callgrind(env: dict[str, str], against: Path | None, narrow: bool) -> None:
    probe = ["--window-probe"] if narrow else []
    bare = instructions_to_paint([sys.executable, __file__, "--child", "bare", *probe], env)
    print(f"{'bare PySide6 window':<34} {bare / 1e6:8.1f} M instructions to the first paint", flush=True)
    apps = {"realtime-inspector (python)": ROOT}
    if against is not None:
        apps[f"against {against}"] = against
    for label, root in apps.items():
        n = instructions_to_paint([sys.executable, __file__, "--child", "app", "--root", str(root), *probe], env)
        print(f"{label:<34} {n / 1e6:8.1f} M instructions   (app/bare {n / bare:.2f})", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    ap.add_argument("--bundle", type=Path, help="also time a built bundle folder (dist/realtime-inspector)")
    ap.add_argument("--against", type=Path, help="also time the app of another checkout (DIR), in the same rotation")
    ap.add_argument("--child", choices=("app", "bare"), help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    ap.add_argument("--window-probe", action="store_true",
                    help="watch the application's events only until a main window appears, then that window's")
    ap.add_argument("--callgrind", action="store_true",
                    help="count the instructions to the first paint under callgrind (one run each), not the time")
    ap.add_argument("--qapp-first", action="store_true",
                    help="start the app's child as the bare one (PySide6 and the QApplication first), "
                    "as earlier sessions did")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.root.resolve(), args.window_probe, args.qapp_first)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=args.platform, XDG_CONFIG_HOME=f"{tmp}/config",
                   XDG_DATA_HOME=f"{tmp}/data", XDG_STATE_HOME=f"{tmp}/state", XDG_CACHE_HOME=f"{tmp}/cache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        print(f"platform {args.platform}, python {sys.version.split()[0]}, {os.cpu_count()} cores, "
              f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
              f"probe: {'the main window (--window-probe)' if args.window_probe else 'every event'}"
              f"{', the app on the probe QApplication (--qapp-first)' if args.qapp_first else ''}")
        if args.callgrind:
            measure_callgrind(env, args.against.resolve() if args.against else None, args.window_probe)
            return 0
        bare, app = measure_side_by_side(env, args.runs, args.against.resolve() if args.against else None,
                                         args.window_probe, args.qapp_first)
        extra = statistics.median(app) - statistics.median(bare)
        print(f"{'app cost over the bare window':<34} median {extra * 1000:6.0f} ms   "
              f"(app/bare {statistics.median(app) / statistics.median(bare):.2f})")
        if args.bundle:
            exe = args.bundle / "realtime-inspector"
            measure("bundle, to first self-test line", [str(exe), "--self-test"], env, args.runs,
                    marker="self-test:")
    return 0


if __name__ == "__main__":
    sys.exit(main())
