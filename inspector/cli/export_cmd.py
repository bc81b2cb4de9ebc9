"""``realtime-inspector export FILE --arrow OUT --parquet OUT``."""

from __future__ import annotations

import sys
from typing import TextIO

from inspector.cli.errors import CliError
from inspector.cli.export_args import ExportArgs
from inspector.logstore.table_export import export_rows
from inspector.recording import RecordingError


def run_export(args: ExportArgs, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if not args.arrow and not args.parquet:
        raise CliError("export needs --arrow OUT or --parquet OUT (or both)")
    try:
        outputs = {fmt: path for fmt, path in (("arrow", args.arrow), ("parquet", args.parquet)) if path}
        rows = export_rows(args.file, outputs)
        for path in outputs.values():
            print(f"{path}: {rows:,} rows", file=out)
    except (RecordingError, OSError) as exc:
        raise CliError(str(exc)) from None
    return 0
