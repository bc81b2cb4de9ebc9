import os
import sys

import pytest

from inspector.redact import forget_secrets

# Every test runs without a display; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Helper modules shared by several test folders (there are no packages under tests/).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "helpers"))

import fuzz_budget
import leak_guard
import net_kit
import tls_kit


def pytest_configure(config: pytest.Config) -> None:
    for plugin in (fuzz_budget, leak_guard, net_kit, tls_kit):
        config.pluginmanager.register(plugin, plugin.__name__)


@pytest.fixture(autouse=True)
def _no_secret_outlives_its_test():
    """A secret a command registered in one test would mask the same text in the next one."""
    yield
    forget_secrets()
