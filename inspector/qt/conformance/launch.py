"""Start a check from a profile and route a failed row to its recording, frame selected."""

from __future__ import annotations

import tempfile
from pathlib import Path

from inspector.profiles import Profile, ProfileError
from inspector.qt.conformance.check_view import CheckView, control_url_for, select_frame
from inspector.qt.recording.recording_ui import RecordingUi
from inspector.qt.recording.recording_view import RecordingView
from inspector.qt.session.connection_tab import token_source
from inspector.qt.window_services import WindowServices


def artifacts_dir(recording: RecordingUi | None) -> Path:
    """Failing cases' recordings go in the app's data folder (where the recordings folder is),
    one folder per run."""
    if recording is None:
        return Path(tempfile.gettempdir()) / "realtime-inspector-checks"
    return Path(recording.recorder.directory).parent / "checks"


def check_server(window: WindowServices, profile: Profile, recording: RecordingUi | None) -> CheckView | None:
    """Open a "Check" document for ``profile`` and start the run; ``recording`` (None: unavailable)
    opens a failed case's recording."""
    control = None
    if profile.embedded_mock:
        try:
            url = window.mock_panel.start_server()
        except OSError:
            return None
        control = control_url_for(url)
    else:
        url = profile.url
    try:
        options = profile.connect_options()
    except ProfileError as exc:
        window.report_error(f"cannot check {profile.name}: {exc}")
        return None
    view = CheckView(profile.name, url, token_source(profile), window.tasks, auth=profile.auth, options=options,
                     control_url=control, artifacts=artifacts_dir(recording))
    view.message.connect(window.show_message)
    view.open_artifact.connect(lambda path, frame: open_artifact(window, recording, path, frame))
    window.add_document(view, f"Check · {profile.name}", f"conformance check of {profile.name}")
    view.start()
    return view


def open_artifact(window: WindowServices, ui: RecordingUi | None, path: str, frame: int) -> None:
    """Open a failed case's recording in its own document, then select the offending frame."""
    if ui is None:
        window.report_error(f"cannot open {Path(path).name}: recording is unavailable")
        return

    def opened(view: RecordingView) -> None:
        if str(view.recording.path) != str(Path(path)):
            return
        ui.opened.disconnect(opened)
        if frame >= 0 and not select_frame(view, frame):
            window.show_message(f"{Path(path).name}: frame {frame} is not in the log")

    ui.opened.connect(opened)
    ui.open_path(path)
