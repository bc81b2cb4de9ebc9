"""``realtime-inspector export``: its options, and their values as one typed object."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from inspector.cli.common_args import Subparsers, add_command

NAME = "export"
EPILOG = ("examples:\n  realtime-inspector export session.rirec --parquet session.parquet\n"
          "  realtime-inspector export ~/.local/share/realtime-inspector/sessions/<session> --arrow s.arrow\n"
          "  duckdb -c \"SELECT topic, floor(t) AS second, count(*) AS events FROM 's.parquet' "
          "WHERE kind_name = 'EVENT' GROUP BY ALL ORDER BY ALL\"\n")


def add_parser(sub: Subparsers) -> None:
    e = add_command(sub, NAME, "write a recording's rows as an Arrow or Parquet table, for DuckDB, polars, "
                    "pandas", EPILOG)
    e.add_argument("file", metavar="FILE", help="a recording, HAR, pcapng file or session store folder")
    e.add_argument("--arrow", metavar="OUT", help="write an Arrow IPC file")
    e.add_argument("--parquet", metavar="OUT", help="write a Parquet file")


@dataclass(frozen=True)
class ExportArgs:
    file: str
    arrow: str | None
    parquet: str | None

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> ExportArgs:
        return cls(file=ns.file, arrow=ns.arrow, parquet=ns.parquet)
