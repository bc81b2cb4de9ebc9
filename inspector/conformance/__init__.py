"""Conformance runs: judge a server (``conform``) or a client (``check-client``) rule by rule.

Rules come from docs/protocol.md (rules.py); cases cite them; every failure carries the
recording of the frames that show it (traffic.py).
"""
