"""Proxy benchmark: what standing between a client and a server costs.

In the same run, with a bare websockets client as the receiver:

  rate    frames/s of a flood (bench/flood_server.py) received directly, through the
          proxy with no rules, through the proxy with 20 rules loaded (none fire, each
          looks at kind and topic), and, for reference, with no rules and no log (--quiet);
          runs interleaved, best of --repeat.
  latency at 10 k frames/s (a paced server stamps each frame with its send time):
          the receive delay directly, through the proxy (log on) and, for reference,
          through a --quiet proxy, p50/p99; the proxy's added p99 is the difference.
  memory  the proxy's RSS with 200 connections open, after rounds of traffic on all.

The proxy is the real command (`realtime-inspector proxy --json`, its log on, written to
/dev/null) in a process of its own. Targets: rate through the proxy >= 0.5 of direct
with no rules, >= 0.4 with 20; added latency p99 <= 1 ms. Exits 3 when one is missed.

usage: python bench/bench_proxy.py [--frames 100000] [--repeat 2] [--seconds 3] [--rate 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_flood import TOKEN, Server, bare, percentile  # noqa: E402
from flood_server import Conn, frame  # noqa: E402

RATE_TARGET_NO_RULES = 0.5
RATE_TARGET_20_RULES = 0.4
ADDED_P99_TARGET_MS = 1.0
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


class Proxy:
    """The proxy command in its own process, its --json log to /dev/null."""

    def __init__(self, upstream: str, *extra: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inspector", "proxy", "--listen", f"127.0.0.1:{self.port}", "--upstream",
             upstream, "--json", *extra], stdout=subprocess.DEVNULL, cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)))
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the proxy did not start") from None
                time.sleep(0.05)
        path = upstream.split("/", 3)[3] if upstream.count("/") >= 3 else ""
        self.url = f"ws://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------- the paced server (a process of its own)
async def paced_server(rate: int, seconds: float) -> int:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(reader, writer)
        if not await conn.handshake():
            writer.close()
            return
        await conn.read_frame()  # the client is ready
        start = time.perf_counter()
        sent = 0
        total = int(rate * seconds)
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                writer.write(frame(_STAMP % time.perf_counter_ns()))
                sent += 1
            await asyncio.sleep(0.0005)
        writer.write(frame(b"\x03\xe8", 0x8))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    print(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/api/v2/realtime", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    server.close()
    return 0


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


def latency(rate: int, seconds: float) -> tuple[list[float], list[float], list[float]]:
    paced = subprocess.Popen([sys.executable, __file__, "--paced-server", str(rate), str(seconds)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert paced.stdout is not None and paced.stdin is not None
    url = paced.stdout.readline().strip()
    proxy, quiet = Proxy(url), Proxy(url, "--quiet")
    try:
        direct = asyncio.run(delays(url))
        through = asyncio.run(delays(proxy.url))
        unlogged = asyncio.run(delays(quiet.url))
    finally:
        proxy.close()
        quiet.close()
        paced.stdin.write("quit\n")
        paced.stdin.close()
        paced.wait(10)
    return direct, through, unlogged


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rate", type=int, default=10_000)
    ap.add_argument("--paced-server", nargs=2, metavar=("RATE", "SECONDS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.paced_server:
        return asyncio.run(paced_server(int(args.paced_server[0]), float(args.paced_server[1])))

    n = args.frames
    server = Server()
    folder = tempfile.mkdtemp(prefix="bench-proxy-")
    proxies = {"no rules": Proxy(server.url), "20 rules": Proxy(server.url, "--rules", twenty_rules(folder)),
               "log off": Proxy(server.url, "--quiet")}
    urls = {"direct": server.url, **{name: p.url for name, p in proxies.items()}}
    best: dict[str, float] = dict.fromkeys(urls, 0.0)
    try:
        server.build("compact", n)
        for _ in range(args.repeat):
            for name, url in urls.items():
                rate = asyncio.run(bare(url, lambda: server.flood("compact", n), n, 1))
                best[name] = max(best[name], rate)
    finally:
        for p in proxies.values():
            p.close()
        server.close()
    direct = best["direct"]
    print(f"rate, {n} frames, best of {args.repeat}:")
    for name, rate in best.items():
        print(f"  {name:9} {rate:10,.0f} frames/s  ({rate / direct:.2f} of direct)"
              + ("  (no rules, no log)" if name == "log off" else ""))
    d, t, q = latency(args.rate, args.seconds)
    added = percentile(t, 99) - percentile(d, 99)
    print(f"latency at {args.rate} frames/s for {args.seconds:g} s ({len(t)} frames measured):")
    print(f"  direct   p50 {percentile(d, 50):.3f} ms  p99 {percentile(d, 99):.3f} ms")
    print(f"  proxied  p50 {percentile(t, 50):.3f} ms  p99 {percentile(t, 99):.3f} ms  (added p99 {added:.3f} ms)")
    print(f"  log off  p50 {percentile(q, 50):.3f} ms  p99 {percentile(q, 99):.3f} ms  "
          f"(added p99 {percentile(q, 99) - percentile(d, 99):.3f} ms)")
    server = Server()
    crowd = Proxy(server.url)
    try:
        sizes = asyncio.run(many(crowd.url, crowd.proc.pid, 200, 5))
    finally:
        crowd.close()
        server.close()
    print(f"200 connections through one proxy: RSS {sizes[0]:.1f} MB open, "
          + ", ".join(f"{mb:.1f}" for mb in sizes[1:]) + " MB after each round of a PING on every one")
    missed = []
    if best["no rules"] / direct < RATE_TARGET_NO_RULES:
        missed.append(f"no rules: {best['no rules'] / direct:.2f} of direct < {RATE_TARGET_NO_RULES}")
    if best["20 rules"] / direct < RATE_TARGET_20_RULES:
        missed.append(f"20 rules: {best['20 rules'] / direct:.2f} of direct < {RATE_TARGET_20_RULES}")
    if added > ADDED_P99_TARGET_MS:
        missed.append(f"added p99 {added:.3f} ms > {ADDED_P99_TARGET_MS} ms")
    for line in missed:
        print(f"MISSED {line}")
    return TARGETS_MISSED if missed else 0


if __name__ == "__main__":
    sys.exit(main())
