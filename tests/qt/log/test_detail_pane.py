"""DetailPane for every kind, undecodable bytes, and the copy buttons."""

from __future__ import annotations

import base64
import json

import pytest
from framegen import error, event, ping, pong, subscribe, unsubscribe
from PySide6.QtGui import QGuiApplication

from inspector.logstore import hexdump
from inspector.protocol.events import IN, OUT
from inspector.qt.log.detail_pane import DetailPane


@pytest.fixture
def pane(qtbot):
    p = DetailPane()
    qtbot.addWidget(p)
    p.show()
    return p


def tree(p: DetailPane) -> dict:
    """Top-level key -> (value text, type) of the decoded tree."""
    out = {}
    for i in range(p.tree.topLevelItemCount()):
        it = p.tree.topLevelItem(i)
        out[it.text(0)] = (it.text(1), it.text(2))
    return out


def child(p: DetailPane, key: str) -> dict:
    for i in range(p.tree.topLevelItemCount()):
        it = p.tree.topLevelItem(i)
        if it.text(0) == key:
            return {it.child(j).text(0): it.child(j).text(1) for j in range(it.childCount())}
    raise KeyError(key)


def clipboard() -> str:
    return QGuiApplication.clipboard().text()


def test_event(pane):
    ev = event(seq=42, data={"id": "o-1", "total": 250, "tags": ["a", "b"]})
    pane.show_frame(ev.data, IN)
    assert "EVENT" in pane.header.text() and "server to client" in pane.header.text()
    assert f"{len(ev.data)} bytes" in pane.header.text()
    assert pane.error_label.isHidden()
    t = tree(pane)
    assert t["topic"] == ('"orders.eu"', "string") and t["seq"] == ("42", "number")
    assert t["data"] == ("{3 keys}", "object")
    assert child(pane, "data") == {"id": '"o-1"', "total": "250", "tags": "[2 items]"}


def test_subscribe_and_unsubscribe(pane):
    pane.show_frame(subscribe("orders.eu", "data.total > `100`").data, OUT)
    assert "SUBSCRIBE" in pane.header.text() and "client to server" in pane.header.text()
    assert tree(pane) == {"id": ("7", "number"), "topic": ('"orders.eu"', "string"),
                          "filter": ('"data.total > `100`"', "string")}
    pane.show_frame(unsubscribe("orders.eu").data, OUT)
    assert "UNSUBSCRIBE" in pane.header.text()
    assert tree(pane) == {"id": ("8", "number"), "topic": ('"orders.eu"', "string")}


@pytest.mark.parametrize("make,name", [(ping, "PING"), (pong, "PONG")])
def test_ping_and_pong(pane, make, name):
    pane.show_frame(make(b"\x00\x01abc").data, OUT)
    assert name in pane.header.text()
    assert tree(pane) == {"kind": (name, "string"), "payload": ("0001616263", "bytes"), "length": ("5", "number")}
    assert pane.error_label.isHidden()
    pane.copy_json()
    assert json.loads(clipboard()) == {"kind": name, "payload": "0001616263"}


def test_empty_ping(pane):
    pane.show_frame(b"\x20", IN)
    assert tree(pane)["payload"] == ("(empty)", "bytes")


def test_error_frame(pane):
    pane.show_frame(error("invalid_filter", "bad at 3", 7).data, IN)
    assert "ERROR" in pane.header.text()
    assert tree(pane) == {"code": ('"invalid_filter"', "string"), "message": ('"bad at 3"', "string"),
                          "ref": ("7", "number")}
    assert pane.error_label.isHidden()  # an ERROR frame decodes fine; it is not a decode error


@pytest.mark.parametrize("data,reason", [
    (b"", "Undecodable (bad_frame): empty frame"),
    (b"\x7a\x01\x02", "Undecodable (unknown_kind): first byte 0x7A is not a known kind"),
    (b"\x10{nope", "Undecodable (bad_frame): body is not JSON"),
    (b'\x01{"topic": 5}', "Undecodable (bad_frame): SUBSCRIBE 'topic' must be a string"),
    (b"\x20" + bytes(65), "Undecodable (bad_frame): PING body is 65 bytes"),
])
def test_undecodable_bytes(pane, data, reason):
    pane.show_frame(data, IN)
    assert not pane.error_label.isHidden()
    assert pane.error_label.text().startswith(reason)
    assert pane.copy_hex_button.isEnabled()
    pane.copy_hex()
    assert clipboard() == data.hex()


def test_kind_known_but_fields_wrong_still_shows_the_json(pane):
    pane.show_frame(b'\x01{"topic": 5}', OUT)
    assert tree(pane) == {"topic": ("5", "number")}
    assert pane.copy_json_button.isEnabled()


def test_bad_json_has_no_json_to_copy(pane):
    pane.show_frame(b"\x10{nope", IN)
    assert pane.tree.topLevelItemCount() == 0
    assert not pane.copy_json_button.isEnabled()


def test_text_frame(pane):
    pane.show_frame(b'{"op":"stats"}', IN, text=True)
    assert "TEXT" in pane.header.text()
    assert "text frame" in pane.error_label.text() and not pane.error_label.isHidden()
    assert tree(pane) == {"op": ('"stats"', "string")}
    pane.show_frame(b"plain words", IN, text=True)
    assert tree(pane) == {"(text)": ("plain words", "string")}


def test_hex_dump_marks_the_kind_byte(pane):
    data = event(seq=1).data
    pane.show_frame(data, IN)
    plain = pane.hex_view.toPlainText().splitlines()
    assert plain[0].startswith("00000000  10 7b 22") and plain[0].endswith("|")
    assert plain[0].endswith("|.{\"topic\":\"order|")
    assert len(plain) == (len(data) + 15) // 16
    assert pane.marked_text() == ["10", "."]
    pane.show_frame(b"\x7a\x41", IN)
    assert pane.marked_text() == ["7a", "z"]
    pane.show_frame(b"hello", IN, text=True)  # a text frame has no kind byte
    assert pane.marked_text() == []


def test_big_frame_dump_is_capped():
    big = b"\x10" + b"x" * (hexdump.MAX_DUMP + 100)
    lines = hexdump.hexdump_lines(big)
    assert len(lines) == hexdump.MAX_DUMP // 16 + 1 and lines[-1] == "… 101 more bytes not shown"


def test_hexdump_helpers():
    lines = hexdump.hexdump_lines(bytes(range(20)))
    assert lines[0] == "00000000  " + " ".join(f"{b:02x}" for b in range(16)) + "  |................|"
    assert lines[1].startswith("00000010  10 11 12 13") and lines[1].endswith("|....|")
    assert lines[1].index("|") == lines[0].index("|")  # short last line stays aligned
    assert hexdump.hexdump_lines(bytes(40), limit=16)[-1] == "… 24 more bytes not shown"
    assert hexdump.hexdump_lines(b"") == []


def test_copy_hex_base64_json(pane):
    ev = event(seq=9, data={"x": "é"})
    pane.show_frame(ev.data, IN)
    pane.copy_hex_button.click()
    assert bytes.fromhex(clipboard()) == ev.data
    pane.copy_base64_button.click()
    assert base64.b64decode(clipboard()) == ev.data
    pane.copy_json_button.click()
    assert json.loads(clipboard()) == json.loads(ev.data[1:])
    assert "é" in clipboard()


def test_big_body_tree_is_capped(pane):
    data = b"\x10" + json.dumps({"topic": "t", "type": "message", "ts": 1, "seq": 1,
                                 "data": list(range(6000))}).encode()
    pane.show_frame(data, IN)
    items = child(pane, "data")
    assert len(items) < 6000 and "…" in items


def test_clear(pane):
    pane.show_frame(b"", IN)
    pane.clear()
    assert pane.error_label.isHidden() and pane.tree.topLevelItemCount() == 0
    assert not pane.copy_hex_button.isEnabled() and pane.header.text() == "No frame selected"


def test_huge_string_is_shortened_in_the_tree_but_copied_whole(pane):
    data = event(seq=1, data={"blob": "x" * 100_000}).data
    pane.show_frame(data, IN)
    shown = child(pane, "data")["blob"]
    assert len(shown) < 400 and shown.endswith("(100,002 characters)")
    pane.copy_json()
    assert json.loads(clipboard())["data"]["blob"] == "x" * 100_000
