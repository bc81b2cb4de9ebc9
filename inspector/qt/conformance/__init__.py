"""Conformance checks in the app: "Check server…" on a profile runs ``conform`` in the background."""
