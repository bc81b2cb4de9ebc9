import os
import sys

# Every test runs without a display; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Helper modules shared by several test folders (there are no packages under tests/).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "helpers"))

from net_kit import kit, mock_server  # noqa: E402,F401 - fixtures for every folder
