"""``replay FILE --pcapng OUT`` and ``replay FILE --har OUT``: what FILE holds, as a capture or a HAR file.

FILE is anything ``replay`` prints: a session store folder, a ``.rirec`` recording, HAR or pcapng.
"""

from __future__ import annotations

import sys
from typing import TextIO

from inspector.cli.errors import CliError
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.store_source import open_any
from inspector.recording.format import RecordingError

FORMATS = ("pcapng", "har")


def run_replay_export(file: str, out_path: str, fmt: str, err: TextIO | None = None) -> int:
    """Write what ``file`` holds to ``out_path`` as ``fmt`` ("pcapng" or "har")."""
    err = err or sys.stderr
    if fmt == "pcapng":
        from inspector.recording.pcapng_export import export_pcapng as write
    elif fmt == "har":
        from inspector.recording.har_export import export_har as write
    else:
        raise ValueError(f"unknown format {fmt!r}")
    try:
        rec = open_any(file)
        events = rec.load(decode=False)
        urls = dict(getattr(rec, "conn_urls", {}) or {})
        count = write(events, out_path, url=rec.url, conn_urls=urls)
    except (RecordingError, StoreError) as exc:
        raise CliError(str(exc)) from None
    if rec.warning:
        print(f"realtime-inspector: warning: {rec.warning}", file=err)
    conns = len({ev.conn for ev in events})
    print(f"wrote {count} message{'s' if count != 1 else ''} on {conns} connection{'s' if conns != 1 else ''} "
          f"to {out_path}", file=err)
    return 0
