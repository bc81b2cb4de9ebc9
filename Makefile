# Build and install targets. Day-to-day work: python3 packaging/dev.py app|test (see README).
PYTHON ?= python3

.PHONY: help dist install-desktop uninstall-desktop icons validate-desktop bench-startup clean-dist

help:
	@echo "make dist               build the one-folder bundle dist/realtime-inspector/ and check it"
	@echo "make install-desktop    user install: bundle (if built), menu entry, icons, AppStream metadata"
	@echo "make uninstall-desktop  remove what install-desktop installed"
	@echo "make validate-desktop   validate the .desktop file and the AppStream metadata"
	@echo "make icons              re-render resources/icons/ from resources/realtime-inspector.svg"
	@echo "make bench-startup      time the app's start against a bare PySide6 window"
	@echo "make clean-dist         remove dist/ and build/"

dist:
	$(PYTHON) packaging/build.py

install-desktop:
	sh packaging/install-desktop.sh

uninstall-desktop:
	sh packaging/install-desktop.sh --uninstall

validate-desktop:
	desktop-file-validate packaging/realtime-inspector.desktop
	appstreamcli validate --no-net packaging/io.github.realtime_inspector.metainfo.xml

icons:
	QT_QPA_PLATFORM=offscreen $(PYTHON) packaging/dev.py app --version >/dev/null
	.venv/bin/python packaging/render_icons.py

bench-startup:
	QT_QPA_PLATFORM=offscreen $(PYTHON) packaging/dev.py app --version >/dev/null
	.venv/bin/python bench/bench_startup.py

clean-dist:
	rm -rf dist build
