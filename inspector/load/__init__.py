"""Load runs on Locust: ``realtime-inspector load`` starts ``python -m inspector.load`` in a child process.

Nothing else in the package imports this one: Locust patches the standard library for
gevent when it is imported, which must never happen in the app or the other commands.
"""
