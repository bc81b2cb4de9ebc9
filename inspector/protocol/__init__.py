"""Sans-I/O core of the Realtime API: no asyncio, no Qt.

Everything here is pure computation so that the mock server, the client engine,
the recorder and the desktop app share one definition of the protocol.
"""
