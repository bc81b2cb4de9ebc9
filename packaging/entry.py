"""Entry point of the frozen bundle: the same `realtime-inspector` command as the pip install."""

import sys

from inspector.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
