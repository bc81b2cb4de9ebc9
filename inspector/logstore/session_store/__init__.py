"""The session store: every frame of a session kept on disk, in a format other tools read.

A session is a folder (``layout``) holding an Apache Arrow IPC stream of rows (``schema``),
a block index beside it (``block_index``) and the connection and topic names the rows'
ids stand for (``labels``). ``writer.SessionWriter`` appends; ``reader.SessionReader``
opens any size at once from the index and memory-maps the blocks; ``prune`` keeps the
folder under a disk budget.

The modules ``schema``, ``writer`` and ``reader`` import pyarrow at their top: nothing the app
loads at start-up imports them, so pyarrow is loaded only when a session is written or read.
"""
