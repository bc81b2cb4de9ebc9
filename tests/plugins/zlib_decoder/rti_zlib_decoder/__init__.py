"""An example decoder plugin for Realtime Inspector: zlib-compressed JSON.

Chain it after base64 for topics that carry compressed JSON as text::

    realtime-inspector tail URL --decode 'audit.*=base64+zlib'
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from inspector.payloads.decoders import VALUE, Decoded, short_json


class ZlibJson:
    name = "zlib"
    scope = VALUE  # works on a value: EVENT data, or bytes from the decoder before it

    def score(self, value: Any) -> float:
        # 0x78 is the first byte of every zlib stream with the default window
        return 0.9 if isinstance(value, (bytes, bytearray)) and value[:1] == b"\x78" else 0.0

    def decode(self, value: Any) -> Decoded:
        raw = zlib.decompress(bytes(value))
        out = json.loads(raw)
        return Decoded(out, f"zlib {len(value)}→{len(raw)} bytes {short_json(out, 100)}")

    def encode(self, value: Any) -> bytes:
        return zlib.compress(json.dumps(value, separators=(",", ":")).encode())
