"""Proxy benchmark: what standing between a client and a server costs.

In the same run, with a bare websockets client as the receiver:

  rate    frames/s of a flood (bench/flood_server.py) received directly, through the
          proxy with no rules, through the proxy with 20 rules loaded (none fire, each
          looks at kind and topic), and, for reference, with no rules and no log (--quiet);
          on --shapes (compact JSON, ~1 KB bodies), runs interleaved, best of --repeat.
  latency at 10 k frames/s (a paced server stamps each frame with its send time):
          the receive delay directly, through the proxy (log on) and, for reference,
          through a --quiet proxy, in --rounds rounds that take turns, p50/p99 of all
          rounds and each round's p99; then the added delay of each frame, measured on the
          same frames side by side (the server writes each to a direct client and to one
          through the proxy at once; rounds alternate the proxy's log on and off): p50,
          p99, p99.9. The target is this per-frame p99 with the log on. Then the same
          with plain-socket clients timed by the kernel (SO_TIMESTAMPNS, Linux): when each
          frame reached the client's socket, which leaves out the time the one client
          process takes to get from one stream's frames to the other's. Last, the proxy's
          own time per frame, measured inside it (inspector/proxy/timing.py: from a read's
          return to its write, in wall-clock and in the thread's CPU time, and its GC
          pauses): what the proxy itself adds, which a busy machine does not lengthen
          the way it does the end-to-end figures above.
  cpu     the CPU time per frame of the proxy process and of its log process (from
          /proc, once each has stopped rising: the log catches up after a flood), through
          each proxy in turn on --shapes, --frames a run, least of --repeat: what forwarding
          and the log cost, which the machine's load moves far less than it moves a rate.
  memory  the proxy's RSS with 200 connections open, after rounds of traffic on all.
  sched   at 10 k frames/s, from the kernel's record (perf sched; Linux, root): each wake-up of
          the proxy's thread, of the client and of the paced server, how long it waited to run,
          and of those waits, how long the proxy's log process ran on the CPU the waiter was
          queued on: what the log costs the forwarding, which the machine's other load does
          not hide (it only adds waits of its own). Skipped without perf.
  storm   100 client connects a second for 10 s (each upgrades, has a PING answered and
          closes) beside 10 steady pairs that keep PINGs in flight, straight at the mock
          and through the proxy: connects failed, steady PONGs lost or out of order (none
          allowed), round trip p99 before and during the storm (through the proxy at most
          3x direct), the proxy's RSS before and after.

With --baseline DIR (another source tree, e.g. `git archive main | tar -x -C DIR`), that
tree's proxy runs beside this one's in the rate, cpu, latency and storm parts: before/after in
the same run.

The proxy is the real command (`realtime-inspector proxy --json`, its log on, written to
/dev/null) in a process of its own. Targets: rate through the proxy >= 0.5 of direct
with no rules, >= 0.4 with 20; added latency p99 <= 1 ms; the storm as above. Exits 3
when one is missed. The load average is printed at the start and the end: on a shared
machine the figures move with it.

usage: python bench/bench_proxy.py [--frames 100000] [--repeat 3] [--shapes compact,large]
       [--rate 10000] [--seconds 1] [--rounds 5] [--connections 200]
       [--storm-rate 100] [--storm-seconds 10] [--steady 10] [--parts rate,cpu,latency,memory,storm,sched]
       [--baseline DIR]  (DIR: another source tree whose proxy runs beside this one: before/after)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "helpers"))

from bench_flood import TOKEN, Server, bare, percentile  # noqa: E402
from flood_server import Conn, frame  # noqa: E402

RATE_TARGET_NO_RULES = 0.5
RATE_TARGET_20_RULES = 0.4
ADDED_P99_TARGET_MS = 1.0
STORM_P99_FACTOR = 3  # the steady pairs' round trip p99 during a storm, through the proxy, against direct
TARGETS_MISSED = 3
_STAMP = b'\x10{"topic":"bench.lat","type":"message","ts":0,"data":{"ns":%19d}}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def twenty_rules(folder: str) -> str:
    path = Path(folder) / "rules.toml"
    path.write_text("".join(f'[[rule]]\ndir = "s2c"\nkind = "EVENT"\ntopic = "other{i}.*"\naction = "drop"\n\n'
                            for i in range(20)))
    return str(path)


def wait_listening(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"{what} did not start") from None
            time.sleep(0.05)


BASELINE: Path | None = None  # --baseline: a source tree whose proxy runs beside this one's


class Proxy:
    """The proxy command in its own process, its --json log to /dev/null; from the ``root``
    source tree (this one unless told)."""

    def __init__(self, upstream: str, *extra: str, root: Path = ROOT) -> None:
        self.port = free_port()
        # the proxy's own time per frame (inspector/proxy/timing.py), written when it ends
        self.timing_file = Path(tempfile.mkdtemp(prefix="bench-proxy-timing-")) / "timing.json"
        self.timing: dict[str, Any] | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inspector", "proxy", "--listen", f"127.0.0.1:{self.port}", "--upstream",
             upstream, "--json", *extra], stdout=subprocess.DEVNULL, cwd=root,
            env=dict(os.environ, PYTHONPATH=str(root), REALTIME_INSPECTOR_PROXY_TIMING=str(self.timing_file)))
        wait_listening(self.port, self.proc, "the proxy")
        path = upstream.split("/", 3)[3] if upstream.count("/") >= 3 else ""
        self.url = f"ws://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.timing_file.exists():
            self.timing = json.loads(self.timing_file.read_text())
        shutil.rmtree(self.timing_file.parent, ignore_errors=True)


# ---------------------------------------------------------------- the paced server (a process of its own)
async def paced_server(rate: int, seconds: float, group: int) -> int:
    """Stamped frames at ``rate`` for ``seconds`` to each group of ``group`` ready clients: with
    two, the same frame goes to both at the same moment (one direct, one through the proxy)."""
    ready: list[asyncio.StreamWriter] = []

    async def send(writers: list[asyncio.StreamWriter]) -> None:
        start = time.perf_counter()
        sent = 0
        total = int(rate * seconds)
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                data = frame(_STAMP % time.perf_counter_ns())
                for writer in writers:
                    writer.write(data)
                sent += 1
            await asyncio.sleep(0.0005)
        for writer in writers:
            writer.write(frame(b"\x03\xe8", 0x8))
            await writer.drain()
            writer.close()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(reader, writer)
        if not await conn.handshake():
            writer.close()
            return
        await conn.read_frame()  # the client is ready
        ready.append(writer)
        if len(ready) == group:
            writers = ready[:]
            ready.clear()
            await send(writers)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    print(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/api/v2/realtime", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    server.close()
    return 0


async def side_by_side(direct_url: str, proxied_url: str) -> list[float]:
    """Milliseconds each frame arrived later through the proxy than the same frame directly
    (the server wrote it to both at once; the first tenth left out: warm-up)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    headers = {"Authorization": f"Bearer {TOKEN}"}
    arrivals: tuple[dict[bytes, int], dict[bytes, int]] = ({}, {})

    async def receive(url: str, into: dict[bytes, int]) -> None:
        async with connect(url, additional_headers=headers, ping_interval=None, compression=None,
                           max_queue=None) as ws:
            await ws.send(b'\x01{"topic":"bench.lat"}')
            try:
                while True:
                    msg = await ws.recv()
                    into[bytes(msg[-21:-2])] = time.perf_counter_ns()
            except ConnectionClosed:
                pass

    direct = asyncio.create_task(receive(direct_url, arrivals[0]))
    await asyncio.sleep(0.2)  # the direct client is the server's first of the two
    await asyncio.gather(direct, receive(proxied_url, arrivals[1]))
    added = [(arrivals[1][k] - t) / 1e6 for k, t in arrivals[0].items() if k in arrivals[1]]
    return added[len(added) // 10:]


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux: each read's kernel receive time
_STAMPED_FRAME = len(frame(_STAMP % 0))  # every stamped frame has this size


def _socket_arrivals(url: str, into: dict[bytes, int], ready: threading.Event) -> None:
    """A bare client on a plain socket: the kernel's receive time (ns) of each stamped frame, by
    stamp. Each read takes exactly one frame, so its time is when that frame reached the
    socket, however late this thread gets to read it."""
    host, port = url.split("/")[2].rsplit(":", 1)
    with socket.create_connection((host, int(port))) as sock:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(f"GET /{url.split('/', 3)[3]} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                     f"Authorization: Bearer {TOKEN}\r\n\r\n".encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            byte = sock.recv(1)
            if not byte:
                raise SystemExit(f"no upgrade from {url}")
            head += byte
        if not head.startswith(b"HTTP/1.1 101"):
            raise SystemExit(f"no upgrade from {url}: {head.splitlines()[0]!r}")
        body, mask = b'\x01{"topic":"bench.lat"}', os.urandom(4)
        sock.sendall(bytes((0x82, 0x80 | len(body))) + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(body)))
        ready.set()
        while True:
            data, ancillary, _, _ = sock.recvmsg(_STAMPED_FRAME, 64, socket.MSG_WAITALL)
            if len(data) < _STAMPED_FRAME:  # the close frame, then the end
                return
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    into[data[-21:-2]] = seconds * 1_000_000_000 + nanoseconds


def side_by_side_at_socket(direct_url: str, proxied_url: str) -> list[float]:
    """``side_by_side`` with each frame's arrival taken from the kernel (when it reached the
    client's socket) instead of when the client got to it: what the proxy added, without the
    time a client that reads both streams takes to get from one to the other."""
    arrivals: tuple[dict[bytes, int], dict[bytes, int]] = ({}, {})
    threads = []
    for url, into in zip((direct_url, proxied_url), arrivals, strict=True):
        ready = threading.Event()
        threads.append(threading.Thread(target=_socket_arrivals, args=(url, into, ready)))
        threads[-1].start()
        ready.wait(15)
        time.sleep(0.2)  # the direct client is the server's first of the two
    for thread in threads:
        thread.join()
    added = [(arrivals[1][k] - t) / 1e6 for k, t in arrivals[0].items() if k in arrivals[1]]
    return added[len(added) // 10:]


async def delays(url: str) -> list[float]:
    """Milliseconds from each frame's stamp to its arrival (the first tenth left out: warm-up)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    out: list[float] = []
    async with connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}, ping_interval=None,
                       compression=None, max_queue=None) as ws:
        await ws.send(b'\x01{"topic":"bench.lat"}')
        try:
            while True:
                msg = await ws.recv()
                now = time.perf_counter_ns()
                out.append((now - int(msg[-21:-2])) / 1e6)
        except ConnectionClosed:
            pass
    return out[len(out) // 10:]


LATENCY_MODES = ("direct", "proxied", "log off")


def latency(rate: int, seconds: float, rounds: int) -> dict[str, list[list[float]]]:
    """Per mode, each round's delays: the modes take turns (direct, proxied, log off, then
    again) for ``rounds`` rounds, so a machine whose load drifts weighs on each alike."""
    paced = subprocess.Popen([sys.executable, __file__, "--paced-server", str(rate), str(seconds), "1"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert paced.stdout is not None and paced.stdin is not None
    url = paced.stdout.readline().strip()
    proxy, quiet = Proxy(url), Proxy(url, "--quiet")
    urls = dict(zip(LATENCY_MODES, (url, proxy.url, quiet.url), strict=True))
    out: dict[str, list[list[float]]] = {mode: [] for mode in LATENCY_MODES}
    try:
        for _ in range(rounds):
            for mode, target in urls.items():
                out[mode].append(asyncio.run(delays(target)))
    finally:
        proxy.close()
        quiet.close()
        paced.stdin.write("quit\n")
        paced.stdin.close()
        paced.wait(10)
    return out


Rounds = dict[str, list[list[float]]]


def added_latency(rate: int, seconds: float, rounds: int) -> tuple[Rounds, Rounds, dict[str, Any]]:
    """Each frame's added delay, measured on the same frames side by side: the server writes
    every frame to a direct client and to one through the proxy at once. Rounds take turns
    between the proxy with its log on and a --quiet one; each round measures with websockets
    clients (the target), then (Linux) with plain sockets by the kernel's receive times."""
    paced = subprocess.Popen([sys.executable, __file__, "--paced-server", str(rate), str(seconds), "2"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert paced.stdout is not None and paced.stdin is not None
    url = paced.stdout.readline().strip()
    proxies = {"log on": Proxy(url), "log off": Proxy(url, "--quiet")}
    if BASELINE is not None:
        proxies["log on (baseline)"] = Proxy(url, root=BASELINE)
    out: Rounds = {name: [] for name in proxies}
    at_socket: Rounds = {name: [] for name in proxies} if sys.platform == "linux" else {}
    inside: dict[str, Any] = {}
    waited = dict.fromkeys(proxies, 0.0)  # seconds the proxy's thread waited for a CPU, all rounds
    try:
        for _ in range(rounds):
            for name, proxy in proxies.items():
                before = run_delay(proxy.proc.pid)
                out[name].append(asyncio.run(side_by_side(url, proxy.url)))
                waited[name] += run_delay(proxy.proc.pid) - before
                if at_socket:
                    at_socket[name].append(side_by_side_at_socket(url, proxy.url))
    finally:
        for name, proxy in proxies.items():
            proxy.close()
            if proxy.timing is not None:
                inside[name] = proxy.timing
                inside[name]["run_delay_s"] = waited[name]
        paced.stdin.write("quit\n")
        paced.stdin.close()
        paced.wait(10)
    return out, at_socket, inside


def run_delay(pid: int) -> float:
    """Seconds the process's main thread has spent runnable but waiting for a CPU (Linux
    /proc schedstat): a log process that keeps the CPU from the proxy shows here."""
    path = Path(f"/proc/{pid}/task/{pid}/schedstat")
    return int(path.read_text().split()[1]) / 1e9 if path.exists() else 0.0


def inside_report(inside: dict[str, Any]) -> None:
    """The proxy's own time per frame, measured inside it (from a read's return to its write), and
    its collector's pauses: what the proxy adds, without the machine's scheduling around it."""
    if not inside:
        return
    print("  the proxy's own time per frame (inside the proxy: a read's return to its write; every round, "
          "warm-up included), wall clock / the thread's CPU time:")
    for name, t in inside.items():
        gc = t["gc"]
        print(f"  {name:17} p50 {t['p50_ms']:.3f} / {t['cpu_p50_ms']:.3f} ms  p99 {t['p99_ms']:.3f} / "
              f"{t['cpu_p99_ms']:.3f} ms  p99.9 {t['p999_ms']:.3f} / {t['cpu_p999_ms']:.3f} ms  "
              f"max {t['max_ms']:.3f} / {t['cpu_max_ms']:.3f} ms  ({t['frames']} frames in {t['reads']} "
              f"reads; GC: {gc['collections']} collections, longest {gc['max_ms'] or 0:.3f} ms, "
              f"{gc['total_ms']:.1f} ms in all, {gc.get('frozen', 0)} start-up objects frozen)")
        if t.get("run_delay_s") is not None and t["frames"]:
            print(f"  {'':17} waited for a CPU (run queue) {t['run_delay_s'] * 1e3:.1f} ms in all, "
                  f"{t['run_delay_s'] / t['frames'] * 1e6:.2f} us per frame")


def added_report(runs: Rounds, rate: int, seconds: float, how: str = "") -> float:
    """Print the added delay's p50/p99/p99.9 (rounds pooled) and each round's p99; log on's p99."""
    print(f"added latency per frame at {rate} frames/s, the same frames direct and through the proxy at once, "
          f"{len(runs['log on'])} rounds of {seconds:g} s each{how}:")
    for name, rounds in runs.items():
        values = [d for run in rounds for d in run]
        each = ", ".join(f"{percentile(run, 99):.2f}" for run in rounds)
        print(f"  {name:17} p50 {percentile(values, 50):.3f} ms  p99 {percentile(values, 99):.3f} ms  "
              f"p99.9 {percentile(values, 99.9):.3f} ms  ({len(values)} frames; p99 per round: {each})")
    return percentile([d for run in runs["log on"] for d in run], 99)


def latency_report(runs: dict[str, list[list[float]]], rate: int, seconds: float) -> float:
    """Print p50/p99 of each mode (all rounds pooled) and each round's p99; the added p99."""
    pooled = {mode: [d for run in rounds for d in run] for mode, rounds in runs.items()}
    direct_p99 = percentile(pooled["direct"], 99)
    rounds = len(runs["direct"])
    print(f"latency at {rate} frames/s, {rounds} rounds of {seconds:g} s per mode, taking turns "
          f"({len(pooled['proxied'])} frames measured through the proxy):")
    for mode, values in pooled.items():
        p99 = percentile(values, 99)
        added = "" if mode == "direct" else f"  added p99 {p99 - direct_p99:.3f} ms"
        each = ", ".join(f"{percentile(run, 99):.2f}" for run in runs[mode])
        print(f"  {mode:8} p50 {percentile(values, 50):.3f} ms  p99 {p99:.3f} ms{added:22}  (p99 per round: {each})")
    return percentile(pooled["proxied"], 99) - direct_p99


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def many(url: str, pid: int, count: int, rounds: int) -> list[float]:
    """The proxy's RSS with ``count`` connections open, after each round of a PING and its PONG on every one."""
    from websockets.asyncio.client import connect

    sockets = [await connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}, ping_interval=None,
                             compression=None) for _ in range(count)]
    sizes = [rss_mb(pid)]
    try:
        for _ in range(rounds):
            for ws in sockets:
                await ws.send(b"\x20" + b"p" * 32)
            for ws in sockets:
                await ws.recv()
            sizes.append(rss_mb(pid))
    finally:
        for ws in sockets:
            await ws.close()
    return sizes


def rates(frames: int, repeat: int, shapes: list[str]) -> list[str]:
    """Frames/s of each shape directly and through the proxies, interleaved; the targets missed."""
    server = Server()
    folder = tempfile.mkdtemp(prefix="bench-proxy-")
    proxies = {"no rules": Proxy(server.url), "20 rules": Proxy(server.url, "--rules", twenty_rules(folder)),
               "log off": Proxy(server.url, "--quiet")}
    if BASELINE is not None:
        proxies["no rules (baseline)"] = Proxy(server.url, root=BASELINE)
        proxies["20 rules (baseline)"] = Proxy(server.url, "--rules", twenty_rules(folder), root=BASELINE)
    urls = {"direct": server.url, **{name: p.url for name, p in proxies.items()}}
    runs: dict[tuple[str, str], list[float]] = {}
    try:
        for shape in shapes:
            server.build(shape, frames)
            for _ in range(repeat):
                for name, url in urls.items():
                    rate = asyncio.run(bare(url, lambda s=shape: server.flood(s, frames), frames, 1))
                    runs.setdefault((shape, name), []).append(rate)
    finally:
        for p in proxies.values():
            p.close()
        server.close()
        shutil.rmtree(folder, ignore_errors=True)
    missed = []
    print(f"rate, {frames} frames a run, {repeat} runs each, interleaved (best, then every run):")
    for shape in shapes:
        direct = max(runs[shape, "direct"])
        print(f"  {shape}:")
        for name in urls:
            best = max(runs[shape, name])
            each = ", ".join(f"{r / 1000:.0f}k" for r in runs[shape, name])
            note = "  (no rules, no log)" if name == "log off" else ""
            print(f"    {name:19} {best:10,.0f} frames/s  {best / direct:.2f} of direct  ({each}){note}")
        for name, target in (("no rules", RATE_TARGET_NO_RULES), ("20 rules", RATE_TARGET_20_RULES)):
            ratio = max(runs[shape, name]) / direct
            if ratio < target:
                missed.append(f"{shape}, {name}: {ratio:.2f} of direct < {target}")
    return missed


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def settled_cpu(pids: list[int]) -> list[float]:
    """Each process's CPU seconds once they stopped rising (the log process catches up after a flood)."""
    last = [cpu_seconds(pid) for pid in pids]
    while True:
        time.sleep(0.3)
        now = [cpu_seconds(pid) for pid in pids]
        if now == last:
            return now
        last = now


def cpu_per_frame(frames: int, repeat: int, shapes: list[str]) -> None:
    """CPU time per frame of the proxy and of its log process, through each proxy (this tree's and
    the baseline's, no rules and 20 rules) in turn: what the log costs, which the machine's load
    does not move the way it moves a rate (the clock tick makes it coarse: use enough frames)."""
    server = Server()
    folder = tempfile.mkdtemp(prefix="bench-proxy-")
    trees = {"": ROOT} if BASELINE is None else {"": ROOT, " (baseline)": BASELINE}
    proxies = {}
    for suffix, root in trees.items():
        proxies["no rules" + suffix] = Proxy(server.url, root=root)
        proxies["20 rules" + suffix] = Proxy(server.url, "--rules", twenty_rules(folder), root=root)
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        for shape in shapes:
            server.build(shape, frames)
            for _ in range(repeat):
                for name, p in proxies.items():
                    pids = [p.proc.pid, *children(p.proc.pid)]
                    before = settled_cpu(pids)
                    asyncio.run(bare(p.url, lambda s=shape: server.flood(s, frames), frames, 1))
                    after = settled_cpu(pids)
                    spent = [(a - b) / frames * 1e6 for a, b in zip(after, before, strict=True)]
                    runs.setdefault((shape, name), []).append((spent[0], sum(spent[1:])))
    finally:
        for p in proxies.values():
            p.close()
        server.close()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"CPU time per frame, {frames} frames a run, {repeat} runs each, interleaved (least, then every run; "
          "proxy + log process):")
    for shape in shapes:
        print(f"  {shape}:")
        for name in proxies:
            each = runs[shape, name]
            best = min(each, key=sum)
            every = ", ".join(f"{a:.1f}+{b:.1f}" for a, b in each)
            print(f"    {name:19} proxy {best[0]:5.1f} us  log {best[1]:5.1f} us  both {sum(best):5.1f} us  ({every})")


def memory(count: int, rounds: int) -> None:
    server = Server()
    crowd = Proxy(server.url)
    try:
        sizes = asyncio.run(many(crowd.url, crowd.proc.pid, count, rounds))
    finally:
        crowd.close()
        server.close()
    print(f"{count} connections through one proxy: RSS {sizes[0]:.1f} MB open, "
          + ", ".join(f"{mb:.1f}" for mb in sizes[1:]) + " MB after each round of a PING on every one")


class Mock:
    """The project's mock server (`realtime-inspector mock`) in a process of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "inspector", "mock", "--port", str(self.port),
                                      "--idle-timeout", "3600"], stdout=subprocess.DEVNULL, cwd=ROOT,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)))
        wait_listening(self.port, self.proc, "the mock")
        self.url = f"ws://127.0.0.1:{self.port}/api/v2/realtime"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def storm_line(name: str, f: Any, total: int) -> str:
    return (f"  {name:8} {f.connects}/{total} connected in {f.seconds:.1f} s, {len(f.failed)} failed, "
            f"connect+PING p50 {percentile(f.connect_ms, 50):.1f} ms p99 {percentile(f.connect_ms, 99):.1f} ms; "
            f"steady PINGs {f.exchanged} answered, {len(f.problems)} lost/reordered, round trip p99 "
            f"{percentile(f.before_ms, 99):.2f} ms before, {percentile(f.during_ms, 99):.2f} ms during "
            f"(x{percentile(f.during_ms, 99) / percentile(f.before_ms, 99):.1f}: the storm's own effect on this path)")


def reconnect_storm(rate: int, seconds: float, steady: int) -> list[str]:
    """The storm straight at the mock, then through the proxy (its log on); the targets missed."""
    from proxy_storm import storm  # tests/helpers: the normal suite runs the same storm, scaled down
    mock = Mock()
    proxy = Proxy(mock.url)
    base = Proxy(mock.url, root=BASELINE) if BASELINE is not None else None
    total = round(rate * seconds)
    try:
        direct = asyncio.run(storm(mock.url, rate, seconds, steady))
        rss_before = rss_mb(proxy.proc.pid)
        through = asyncio.run(storm(proxy.url, rate, seconds, steady))
        rss_after = rss_mb(proxy.proc.pid)
        alive = proxy.proc.poll() is None
        baseline = asyncio.run(storm(base.url, rate, seconds, steady)) if base is not None else None
    finally:
        proxy.close()
        if base is not None:
            base.close()
        mock.close()
    print(f"reconnect storm: {rate} connects/s for {seconds:g} s beside {steady} steady pairs "
          "(each keeps 8 PINGs in flight):")
    print(storm_line("direct", direct, total))
    print(storm_line("proxied", through, total))
    if baseline is not None:
        print(storm_line("baseline", baseline, total))
    print(f"  proxy RSS {rss_before:.1f} MB before the storm, {rss_after:.1f} MB after; "
          f"{'still running' if alive else 'DIED'}")
    for line in (through.failed + through.problems)[:5]:
        print(f"    {line}")
    missed = []
    if not alive or through.failed or through.problems or through.connects != total:
        missed.append(f"storm: {len(through.failed)} connects failed, {len(through.problems)} steady pairs disturbed")
    during, before = percentile(through.during_ms, 99), percentile(direct.during_ms, 99)
    if during > STORM_P99_FACTOR * max(before, 1.0):
        missed.append(f"storm: steady round trip p99 {during:.1f} ms through the proxy, "
                      f"{before:.1f} ms direct (more than {STORM_P99_FACTOR}x)")
    return missed


SCHED_WHO = ("proxy", "client", "server")  # the processes whose waits the sched part reports


Waits = dict[str, list[float]]
_Segment = tuple[int, float, float]  # (cpu, from, to)


def _field(trace: str, name: str) -> int:
    return int(trace.split(f" {name}=", 1)[1].split(" ", 1)[0])


class _SchedRecord:
    """A ``perf sched record`` file read for the waits of some processes and the log's runs."""

    def __init__(self, pids: dict[int, str], log_pid: int) -> None:
        self.pids, self.log_pid = pids, log_pid
        self.queued: dict[int, tuple[float, list[tuple[int, float]]]] = {}  # pid: (woken at, [(cpu, since)])
        self.log_since: dict[int, float] = {}  # cpu: the log process runs there since
        self.log_runs: list[_Segment] = []
        self.waits: list[tuple[str, float, list[_Segment]]] = []
        self.log_wakeups = 0

    def read(self, data: str) -> None:
        out = subprocess.run(["perf", "script", "-i", data, "-F", "cpu,time,event,trace"], capture_output=True,
                             text=True, check=False).stdout
        for line in out.splitlines():
            head, _, rest = line.partition(": ")
            event, _, trace = rest.strip().partition(": ")
            cpu_text, _, time_text = head.strip().partition(" ")
            self._event(int(cpu_text.strip("[]")), float(time_text), event, " " + trace)

    def _event(self, cpu: int, now: float, event: str, trace: str) -> None:
        if event == "sched:sched_waking":
            pid = _field(trace, "pid")
            if pid in self.pids:
                self.queued[pid] = (now, [(_field(trace, "target_cpu"), now)])
            elif pid == self.log_pid:
                self.log_wakeups += 1
        elif event == "sched:sched_migrate_task":
            pid = _field(trace, "pid")
            if pid in self.queued:
                self.queued[pid][1].append((_field(trace, "dest_cpu"), now))
        elif event == "sched:sched_switch":
            prev, nxt = _field(trace, "prev_pid"), int(trace.rsplit("next_pid=", 1)[1].split(" ", 1)[0])
            if prev == self.log_pid and cpu in self.log_since:
                self.log_runs.append((cpu, self.log_since.pop(cpu), now))
            if nxt == self.log_pid:
                self.log_since[cpu] = now
            if nxt in self.queued:
                woken, places = self.queued.pop(nxt)
                ends = [at for _, at in places[1:]] + [now]
                self.waits.append((self.pids[nxt], (now - woken) * 1e3,
                                   [(c, start, end) for (c, start), end in zip(places, ends, strict=True)]))
            if prev in self.pids and " prev_state=R" in trace:  # preempted: it waits from now, as if woken
                self.queued[prev] = (now, [(cpu, now)])

    def results(self) -> tuple[Waits, Waits]:
        """Each wait (ms) per process, and of those during which the log ran where the waiter was
        queued, how long it ran there (ms)."""
        every: Waits = {name: [] for name in self.pids.values()}
        by_log: Waits = {name: [] for name in self.pids.values()}
        for name, wait, segments in self.waits:
            every[name].append(wait)
            held = sum(max(0.0, min(end, b) - max(start, a)) for c, start, end in segments
                       for lc, a, b in self.log_runs if lc == c and a < end and b > start)
            if held:
                by_log[name].append(held * 1e3)
        return every, by_log


def sched_part(rate: int, seconds: float, rounds: int) -> None:
    """The waits for a CPU at ``rate`` frames/s (log on) of the proxy, the client and the paced
    server, from the kernel's own record (``perf sched``, Linux, root): how long each wake-up
    waited to run, and those where the proxy's log process was what held that CPU. The
    machine's other load shows in the first; the second is what the log costs the forwarding
    (and the client and server beside it), however busy the machine is."""
    if subprocess.run(["perf", "--version"], capture_output=True, check=False).returncode != 0:
        print("sched: perf is not installed (skipped)")
        return
    paced = subprocess.Popen([sys.executable, __file__, "--paced-server", str(rate), str(seconds), "1"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert paced.stdout is not None and paced.stdin is not None
    url = paced.stdout.readline().strip()
    proxies = {"log on": Proxy(url)}
    if BASELINE is not None:
        proxies["log on (baseline)"] = Proxy(url, root=BASELINE)
    waits: dict[str, tuple[Waits, Waits]] = {name: ({who: [] for who in SCHED_WHO}, {who: [] for who in SCHED_WHO})
                                             for name in proxies}
    log_wakeups = dict.fromkeys(proxies, 0)
    folder = tempfile.mkdtemp(prefix="bench-proxy-sched-")
    try:
        for _ in range(rounds):
            for name, proxy in proxies.items():
                data = f"{folder}/perf.data"
                record = subprocess.Popen(["perf", "sched", "record", "-q", "-o", data, "--", "sleep",
                                           str(seconds + 1.5)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.3)  # perf is recording
                asyncio.run(delays(proxy.url))
                record.wait()
                pids = dict(zip((proxy.proc.pid, os.getpid(), paced.pid), SCHED_WHO, strict=True))
                record_file = _SchedRecord(pids, children(proxy.proc.pid)[0])
                record_file.read(data)
                every, by_log = record_file.results()
                log_wakeups[name] += record_file.log_wakeups
                for who in SCHED_WHO:
                    waits[name][0][who].extend(every[who])
                    waits[name][1][who].extend(by_log[who])
    finally:
        for proxy in proxies.values():
            proxy.close()
        paced.stdin.write("quit\n")
        paced.stdin.close()
        paced.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"waits for a CPU at {rate} frames/s through the proxy, log on, {rounds} rounds of {seconds:g} s "
          "(perf sched; 'behind the log': the waits during which the proxy's log process ran on the CPU the waiter "
          "was queued on, and how long it ran there):")
    for name, (every, by_log) in waits.items():
        print(f"  {name} (its log process woken {log_wakeups[name]} times):")
        for who in SCHED_WHO:
            mine, logs = every[who], by_log[who]
            print(f"    {who:7} {len(mine):6} wake-ups and preemptions: waited p50 {percentile(mine, 50):.3f} ms p99 "
                  f"{percentile(mine, 99):.3f} ms, {sum(w > 0.5 for w in mine)} over 0.5 ms; behind the log "
                  f"{len(logs)}: {sum(w > 0.1 for w in logs)} over 0.1 ms, {sum(w > 0.5 for w in logs)} over 0.5 ms, "
                  f"longest {max(logs, default=0):.3f} ms, {sum(logs):.1f} ms in all")


PARTS = ("rate", "cpu", "latency", "memory", "storm", "sched")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="rate runs of each shape and path")
    ap.add_argument("--shapes", default="compact,large", help="flood shapes (bench/flood_server.py)")
    ap.add_argument("--seconds", type=float, default=1.0, help="of each latency round")
    ap.add_argument("--rounds", type=int, default=5, help="latency rounds (each mode once a round)")
    ap.add_argument("--rate", type=int, default=10_000)
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--storm-rate", type=int, default=100, help="storm connects a second")
    ap.add_argument("--storm-seconds", type=float, default=10.0)
    ap.add_argument("--steady", type=int, default=10, help="pairs carrying traffic during the storm")
    ap.add_argument("--parts", default=",".join(PARTS), help="which parts to run: " + ",".join(PARTS))
    ap.add_argument("--baseline", type=Path, help="a source tree (e.g. `git archive main | tar -x -C DIR`) whose "
                    "proxy runs interleaved beside this one's in the rate and added-latency parts: before/after")
    ap.add_argument("--paced-server", nargs=3, metavar=("RATE", "SECONDS", "GROUP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.paced_server:
        return asyncio.run(paced_server(int(args.paced_server[0]), float(args.paced_server[1]),
                                        int(args.paced_server[2])))
    parts = args.parts.split(",")
    global BASELINE
    BASELINE = args.baseline.resolve() if args.baseline else None
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    missed = []
    if "rate" in parts:
        missed += rates(args.frames, args.repeat, args.shapes.split(","))
    if "cpu" in parts:
        cpu_per_frame(args.frames, args.repeat, args.shapes.split(","))
    if "latency" in parts:
        latency_report(latency(args.rate, args.seconds, args.rounds), args.rate, args.seconds)
        runs, at_socket, inside = added_latency(args.rate, args.seconds, args.rounds)
        added = added_report(runs, args.rate, args.seconds, " (websockets clients: the target)")
        if at_socket:
            added_report(at_socket, args.rate, args.seconds, ", at the client's socket (plain sockets, the kernel's "
                         "receive times: without the client's own time to get from one stream to the other)")
        inside_report(inside)
        if added > ADDED_P99_TARGET_MS:
            missed.append(f"added p99 {added:.3f} ms per frame (log on) > {ADDED_P99_TARGET_MS} ms")
    if "sched" in parts:
        sched_part(args.rate, args.seconds, args.rounds)
    if "memory" in parts:
        memory(args.connections, 5)
    if "storm" in parts:
        missed += reconnect_storm(args.storm_rate, args.storm_seconds, args.steady)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for line in missed:
        print(f"MISSED {line}")
    return TARGETS_MISSED if missed else 0


if __name__ == "__main__":
    sys.exit(main())
