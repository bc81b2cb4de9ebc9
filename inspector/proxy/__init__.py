"""A WebSocket reverse proxy that shows both sides of a conversation and breaks it on purpose.

Pure parts (no I/O): ``wire`` (frames in and out), ``checks`` (RFC 6455 rules per side),
``upgrade`` (the opening handshake passed on), ``rules`` (matches and actions).
The asyncio parts: ``upstream``, ``pair``, ``server``.
"""
