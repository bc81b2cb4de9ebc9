"""Realtime Inspector: a desktop inspector and debugging console for the Realtime WebSocket API."""

__version__ = "0.1.0"
