"""``python -m inspector.load LOCUST_ARGUMENTS...``: Locust with our locustfile.

Locust is imported first: it monkey-patches the standard library for gevent, and that
has to happen before anything else imports socket, ssl or threading. The token pool is
read from standard input (one per line) before Locust starts.
"""

from locust.main import main as locust_main  # noqa: I001 - first: gevent's patching

import os
import sys

from inspector.load import pool


def main() -> None:
    pool.set_tokens(sys.stdin.readlines())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # Locust's key listener must not read the closed pipe
    os.close(devnull)
    locustfile = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locustfile.py")
    sys.argv = ["realtime-inspector load", "-f", locustfile, *sys.argv[1:]]
    locust_main()


if __name__ == "__main__":
    main()
