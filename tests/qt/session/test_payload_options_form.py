"""The profile form's Payloads group: the contract file and the decoder settings."""

from inspector.profiles import Profile
from inspector.qt.session.payload_options_form import PayloadOptionsForm


def test_load_edit_and_apply(qtbot):
    form = PayloadOptionsForm()
    qtbot.addWidget(form)
    changes = []
    form.changed.connect(lambda: changes.append(1))
    form.load(Profile(name="P", asyncapi="/x/shop.yaml", decoders={"sensors.*": "base64+msgpack"}))
    assert form.asyncapi_edit.text() == "/x/shop.yaml"
    assert form.decoders_edit.text() == "sensors.*=base64+msgpack"
    form.decoders_edit.clear()
    qtbot.keyClicks(form.decoders_edit, " sensors.*=base64+cbor ;audit.*=base64+zlib; junk ")
    assert changes
    p = Profile(name="P")
    form.apply_to(p)
    assert p.asyncapi == "/x/shop.yaml"
    assert p.decoders == {"sensors.*": "base64+cbor", "audit.*": "base64+zlib"}


def test_the_file_picker_does_not_block(qtbot):
    form = PayloadOptionsForm()
    qtbot.addWidget(form)
    dialog = form.pick_file()
    assert dialog.isVisible() and form.dialog is dialog
    dialog.fileSelected.emit("/tmp/contract.yaml")
    dialog.reject()
    assert form.asyncapi_edit.text() == "/tmp/contract.yaml" and form.dialog is None
