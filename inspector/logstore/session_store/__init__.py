"""The session store: every frame of a session kept on disk, in a format other tools read.

A session is a folder (``layout``) holding an Apache Arrow IPC stream of rows (``schema``),
a block index beside it (``block_index``) and the connection and topic names the rows'
ids stand for (``labels``). ``writer.SessionWriter`` appends; ``reader.SessionReader``
opens any size at once from the index and memory-maps the blocks; ``prune`` keeps the
folder under a disk budget.

Other tools read a session as it is. DuckDB, events per topic per second, in Python after
``f = pyarrow.ipc.open_stream("frames.arrows")`` (DuckDB scans an Arrow stream in scope by its
name; ``labels.jsonl`` names the topic ids; 16 is the EVENT kind byte), ``duckdb.sql(q).show()``::

    SELECT l.name AS topic, floor(f.t) AS second, count(*) AS events
    FROM f JOIN read_json('labels.jsonl') l ON l.label = 'topic' AND l.id = f.topic
    WHERE f.kind = 16 GROUP BY ALL ORDER BY second, topic

polars: ``pl.read_ipc_stream("frames.arrows")``; pandas: ``pyarrow.ipc.open_stream(path).read_pandas()``.

The modules ``schema``, ``writer`` and ``reader`` import pyarrow at their top: nothing the app
loads at start-up imports them, so pyarrow is loaded only when a session is written or read.
"""
