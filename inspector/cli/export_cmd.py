"""``realtime-inspector export FILE --arrow OUT --parquet OUT``."""

from __future__ import annotations

import sys
from typing import TextIO

from inspector.cli.errors import CliError
from inspector.cli.export_args import ExportArgs
from inspector.logstore.table_export import export_table, rows_table
from inspector.recording import RecordingError


def run_export(args: ExportArgs, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if not args.arrow and not args.parquet:
        raise CliError("export needs --arrow OUT or --parquet OUT (or both)")
    try:
        table = rows_table(args.file)
        for fmt, path in (("arrow", args.arrow), ("parquet", args.parquet)):
            if path:
                export_table(table, path, fmt)
                print(f"{path}: {table.num_rows:,} rows", file=out)
    except (RecordingError, OSError) as exc:
        raise CliError(str(exc)) from None
    return 0
