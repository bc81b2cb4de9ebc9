"""pcapng export and capture reading, without Wireshark: the bytes on the synthesised wire, and
captures shaped the ways other tools write them (pcap, other link layers, big-endian sections,
reordered and retransmitted segments, sequence wrap, cut files, refused upgrades)."""

from __future__ import annotations

import io
import itertools
import json
import struct

import pytest
from rec_helpers import TOKEN, sample_events

from inspector.protocol.events import IN, OUT, FrameSeen, State, StateChanged
from inspector.recording import RecordingError, open_recording
from inspector.recording.pcapng_export import export_pcapng, write_pcapng
from inspector.recording.pcapng_file import CaptureReader, Packet, PcapngWriter
from inspector.recording.pcapng_net import (
    MAX_SEGMENT,
    TCP_ACK,
    TCP_FIN,
    TCP_PSH,
    TCP_SYN,
    ethernet_ipv4_tcp,
    tcp_segment,
)

T0 = 1764300000.0
URL = f"ws://127.0.0.1:8765/api/v2/realtime?token={TOKEN}"


def frames_of(path, conn: str | None = None) -> list[tuple]:
    return [(ev.conn, round(ev.t, 6), ev.direction, ev.data, ev.text) for ev in open_recording(path)
            if isinstance(ev, FrameSeen) and (conn is None or ev.conn == conn)]


def packets(path) -> list[Packet]:
    with open(path, "rb") as f:
        return list(CaptureReader(f, "x"))


def write_packets(path, items: list[tuple[float, bytes]], linktype: int = 1) -> None:
    with open(path, "wb") as f:
        w = PcapngWriter(f, linktype)
        for t, data in items:
            w.packet(t, data)


def big_session() -> list:
    big = b"\x10" + json.dumps({"topic": "t", "type": "message", "seq": 1, "ts": 1,
                                "data": "z" * (3 * MAX_SEGMENT)}).encode()
    return [
        StateChanged("c1", T0, State.OPEN),
        FrameSeen("c1", T0 + 0.1, OUT, b'\x01{"topic":"t"}'),
        FrameSeen("c1", T0 + 0.2, IN, big),
        FrameSeen("c1", T0 + 0.3, OUT, b"\x20" + bytes(range(64))),
        FrameSeen("c1", T0 + 0.4, IN, b"\x21" + bytes(range(64))),
        StateChanged("c1", T0 + 0.5, State.CLOSED, code=1001, reason="server restart"),
    ]


# ------------------------------------------------------------------ export


def test_every_frame_round_trips_and_connections_open_and_close(tmp_path):
    events = sample_events(T0)
    path = tmp_path / "s.pcapng"
    assert export_pcapng(events, path, url=URL) == sum(isinstance(e, FrameSeen) for e in events)
    want = [(e.conn, round(e.t, 6), e.direction, e.data, e.text) for e in events if isinstance(e, FrameSeen)]
    assert frames_of(path) == want
    states = [(e.conn, e.state, e.code) for e in open_recording(path) if isinstance(e, StateChanged)]
    # c1 opens, closes with 4401 (a close handshake in the capture); c2 sent frames with no recorded open
    assert states == [("c1", State.OPEN, None), ("c2", State.OPEN, None), ("c1", State.CLOSED, 4401)]
    assert open_recording(path).conn_urls == {"c1": URL.replace(TOKEN, "***"), "c2": URL.replace(TOKEN, "***")}


def test_no_token_reaches_the_file_and_it_is_private(tmp_path):
    path = tmp_path / "s.pcapng"
    path.write_bytes(b"old")
    path.chmod(0o644)
    export_pcapng(sample_events(T0), path, conn_urls={"c1": f"wss://me:{TOKEN}@h.example/x?token={TOKEN}"})
    assert TOKEN.encode() not in path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600


def test_big_messages_are_split_into_acknowledged_segments_within_ipv4s_limit(tmp_path):
    path = tmp_path / "big.pcapng"
    export_pcapng(big_session(), path, url=URL)
    segs = [(p.t, tcp_segment(p.linktype, p.data), len(p.data) - 14) for p in packets(path)]
    assert max(ip_len for *_, ip_len in segs) <= 65535
    server = [s for _, s, _ in segs if s.src[1] == 8765 and s.payload]
    assert sum(len(s.payload) == MAX_SEGMENT for s in server) == 3  # the big EVENT: 3 full segments, then the rest
    # every segment is acknowledged at once with the next sequence number the peer expects
    for (_, seg, _), (_, answer, _) in itertools.pairwise(segs):
        if seg.payload and not seg.flags & TCP_FIN:
            assert answer.src == seg.dst and answer.flags == TCP_ACK
            assert answer.ack == (seg.seq + len(seg.payload)) & 0xFFFFFFFF
    assert segs[0][1].flags == TCP_SYN and segs[0][1].ack == 0


def test_client_frames_are_masked_and_server_frames_are_not(tmp_path):
    path = tmp_path / "big.pcapng"
    export_pcapng(big_session(), path, url=URL)
    streams: dict[bool, bytes] = {True: b"", False: b""}
    for p in packets(path):
        seg = tcp_segment(p.linktype, p.data)
        streams[seg.dst[1] == 8765] += seg.payload
    request, _, client_frames = streams[True].partition(b"\r\n\r\n")
    response, _, server_frames = streams[False].partition(b"\r\n\r\n")
    assert request.startswith(b"GET /api/v2/realtime?token=*** HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n")
    assert b"Sec-WebSocket-Accept: " in response and response.startswith(b"HTTP/1.1 101 ")
    assert client_frames[1] & 0x80 and not server_frames[1] & 0x80
    assert b'{"topic":"t"}' not in client_frames and b'"topic": "t"' in server_frames


def test_host_names_get_documentation_addresses_and_wss_plain_port_80(tmp_path):
    events = [FrameSeen("a", T0, IN, b"\x21"), FrameSeen("b", T0, IN, b"\x21"), FrameSeen("c", T0, IN, b"\x21")]
    urls = {"a": "wss://api.example.com/api/v2/realtime", "b": "ws://other.example:9000/",
            "c": "ws://localhost:8765/"}
    path = tmp_path / "hosts.pcapng"
    export_pcapng(events, path, conn_urls=urls)
    syns = [tcp_segment(p.linktype, p.data) for p in packets(path)]
    syns = [s for s in syns if s.flags == TCP_SYN]
    assert [(s.src[0], s.dst) for s in syns] == [("192.0.2.1", ("198.51.100.1", 80)),
                                                  ("192.0.2.1", ("198.51.100.2", 9000)),
                                                  ("127.0.0.1", ("127.0.0.1", 8765))]
    assert open_recording(path).conn_urls == urls


# ------------------------------------------------------------------ captures as other tools write them


def relink(frame: bytes, linktype: int) -> bytes:
    """An Ethernet frame's IP packet under another link layer."""
    ip = frame[14:]
    if linktype == 101:
        return ip
    if linktype == 113:  # Linux cooked: packet type, ARPHRD, address length, address, protocol
        return struct.pack("!HHH8sH", 0, 772, 6, b"\0" * 8, 0x0800) + ip
    if linktype == 276:  # SLL2: protocol, reserved, ifindex, ARPHRD, type, address length, address
        return struct.pack("!HHIHBB8s", 0x0800, 0, 1, 772, 0, 6, b"\0" * 8) + ip
    if linktype == 0:  # BSD loopback: AF_INET in the capturing host's order
        return struct.pack("<I", 2) + ip
    if linktype == 108:  # OpenBSD loopback: network order
        return struct.pack("!I", 2) + ip
    raise AssertionError(linktype)


@pytest.mark.parametrize("linktype", [101, 113, 276, 0, 108])
def test_other_link_layers_read_the_same(tmp_path, linktype):
    src = tmp_path / "eth.pcapng"
    export_pcapng(big_session(), src, url=URL)
    out = tmp_path / "other.pcapng"
    write_packets(out, [(p.t, relink(p.data, linktype)) for p in packets(src)], linktype)
    assert [f[1:] for f in frames_of(out)] == [f[1:] for f in frames_of(src)] and len(frames_of(src)) == 4


@pytest.mark.parametrize("order,nano", [("<", False), (">", False), ("<", True), (">", True)])
def test_classic_pcap_in_either_byte_order_and_resolution(tmp_path, order, nano):
    src = tmp_path / "eth.pcapng"
    export_pcapng(big_session(), src, url=URL)
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = io.BytesIO()
    out.write(struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, 1))
    for p in packets(src):
        sec = int(p.t)
        frac = round((p.t - sec) * (1e9 if nano else 1e6))
        out.write(struct.pack(order + "IIII", sec, frac, len(p.data), len(p.data)) + p.data)
    path = tmp_path / "tcpdump.pcap"
    path.write_bytes(out.getvalue())
    assert [f[1:] for f in frames_of(path)] == [f[1:] for f in frames_of(src)]


def test_a_big_endian_pcapng_section_with_nanosecond_timestamps(tmp_path):
    src = tmp_path / "eth.pcapng"
    export_pcapng(big_session(), src, url=URL)

    def block(kind: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack(">II", kind, len(body) + 12) + body + struct.pack(">I", len(body) + 12)

    out = block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack(">HHI", 1, 0, 0) + struct.pack(">HH", 9, 1) + b"\x09\0\0\0" + b"\0" * 4)
    out += block(5, struct.pack(">I", 0))  # an interface statistics block: skipped by its length
    for p in packets(src):
        ns = round(p.t * 1e9)
        out += block(6, struct.pack(">IIIII", 0, ns >> 32, ns & 0xFFFFFFFF, len(p.data), len(p.data)) + p.data
                     + b"\0" * (-len(p.data) % 4))
    path = tmp_path / "be.pcapng"
    path.write_bytes(out)
    assert [f[1:] for f in frames_of(path)] == [f[1:] for f in frames_of(src)]


def test_reordered_duplicated_and_overlapping_segments_reassemble_once(tmp_path):
    src = tmp_path / "eth.pcapng"
    export_pcapng(big_session(), src, url=URL)
    items = [(p.t, p.data) for p in packets(src)]
    big = [i for i, (_, d) in enumerate(items) if len(d) > 60000]
    a, b, c = big[:3]
    shuffled = [*items[:a], items[c], items[b], items[a], items[b], *items[c + 1:]]  # reversed, b twice
    # a retransmission (repacketized) that overlaps the end of one segment and the start of the next
    seg, after = tcp_segment(1, items[a][1]), tcp_segment(1, items[b][1])
    overlap = ethernet_ipv4_tcp(items[a][1][6:12], items[a][1][:6], seg.src, seg.dst, seg.seq + 100, seg.ack,
                                TCP_ACK, seg.payload[100:] + after.payload[:50])
    shuffled.insert(a + 2, (items[a][0], overlap))
    path = tmp_path / "shuffled.pcapng"
    write_packets(path, shuffled)
    assert [f[2:] for f in frames_of(path)] == [f[2:] for f in frames_of(src)]
    assert open_recording(path).warning is None


def conversation(isn_c: int, isn_s: int, exchanges: list[tuple[bool, bytes]], client=("10.0.0.2", 40000),
                 server=("10.0.0.1", 8080), syn: bool = True) -> list[tuple[float, bytes]]:
    """A TCP connection written packet by packet: the handshake, then each (from client?, bytes)."""
    out = []
    seqs = {True: isn_c, False: isn_s}
    macs = (b"\x02" * 6, b"\x04" * 6)

    def send(from_client: bool, flags: int, payload: bytes = b"") -> None:
        src, dst = (client, server) if from_client else (server, client)
        ack = seqs[not from_client] if flags & TCP_ACK else 0
        out.append((T0 + len(out) * 0.001, ethernet_ipv4_tcp(*macs, src, dst, seqs[from_client], ack, flags,
                                                             payload)))
        seqs[from_client] = (seqs[from_client] + len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)) \
            & 0xFFFFFFFF

    if syn:
        send(True, TCP_SYN)
        send(False, TCP_SYN | TCP_ACK)
        send(True, TCP_ACK)
    for from_client, data in exchanges:
        for i in range(0, len(data), 1000):  # small segments, as a real network's MSS gives
            send(from_client, TCP_ACK | TCP_PSH, data[i:i + 1000])
    send(False, TCP_FIN | TCP_ACK)
    send(True, TCP_FIN | TCP_ACK)
    return out


UPGRADE = (b"GET /api/v2/realtime HTTP/1.1\r\nhost: rt.example:8080\r\nconnection: upgrade\r\n"
           b"upgrade: WebSocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n")
SWITCH = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


def masked(payload: bytes, key: bytes = b"\x11\x22\x33\x44", opcode: int = 2, fin: bool = True) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_sequence_numbers_wrapping_and_fragmented_messages(tmp_path):
    event = b'\x10{"topic":"w","type":"message","seq":9,"ts":1,"data":"' + b"q" * 3000 + b'"}'
    server = SWITCH + b"\x02\x7e" + (1500).to_bytes(2, "big") + event[:1500] + \
        b"\x80\x7e" + (len(event) - 1500).to_bytes(2, "big") + event[1500:]  # binary + continuation
    client = UPGRADE + masked(b'\x01{"topic":"w"}', fin=False) + masked(b"", opcode=0)
    path = tmp_path / "wrap.pcapng"
    write_packets(path, conversation(0xFFFFFF00, 0xFFFFFFF0, [(True, client), (False, server)]))
    rec = open_recording(path)
    assert [(f[0], f[2], f[3]) for f in frames_of(path)] == [("ws1", OUT, b'\x01{"topic":"w"}'), ("ws1", IN, event)]
    assert rec.conn_urls == {"ws1": "ws://rt.example:8080/api/v2/realtime"}
    assert [e.code for e in rec if isinstance(e, StateChanged)] == [None, 1006]  # FIN without a close frame


def test_a_refused_upgrade_is_a_stop_with_the_http_status_and_code(tmp_path):
    body = b'{"error":"unauthorized","code":"invalid_token","status":401}'
    answer = b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    path = tmp_path / "401.pcapng"
    write_packets(path, conversation(1, 2, [(True, UPGRADE), (False, answer[:30]), (False, answer[30:] + body)]))
    (ev,) = open_recording(path).load()
    assert (ev.state, ev.http_status, ev.http_code) == (State.STOPPED, 401, "invalid_token")


def test_an_answer_with_odd_digits_is_a_refusal_not_a_crash(tmp_path):
    path = tmp_path / "odd.pcapng"
    write_packets(path, conversation(1, 2, [(True, UPGRADE), (False, b"HTTP/1.1 \xb2\xb3\xb9 Odd\r\n"
                                                                         b"Content-Length: \xb9\r\n\r\n")]))
    (ev,) = open_recording(path).load()
    assert (ev.state, ev.http_status) == (State.STOPPED, 0)


def test_other_tcp_traffic_and_a_capture_joined_midway_are_left_alone(tmp_path):
    plain_http = conversation(5, 6, [(True, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), (False, b"HTTP/1.1 200 OK\r\n\r\n")],
                              client=("10.0.0.3", 40001))
    midway = conversation(7, 8, [(False, b"\x82\x01\x21")], client=("10.0.0.4", 40002), syn=False)
    ws = conversation(9, 10, [(True, UPGRADE), (False, SWITCH + b"\x82\x01\x21")])
    path = tmp_path / "mixed.pcapng"
    write_packets(path, sorted(plain_http + midway + ws, key=lambda p: p[0]))
    rec = open_recording(path)
    assert [(f[0], f[3]) for f in frames_of(path)] == [("ws1", b"\x21")]
    assert rec.ignored_connections == 1 and rec.warning is None


def test_a_cut_file_keeps_what_was_read_and_says_so(tmp_path):
    src = tmp_path / "eth.pcapng"
    export_pcapng(big_session(), src, url=URL)
    data = src.read_bytes()
    path = tmp_path / "cut.pcapng"
    path.write_bytes(data[:-30])  # dumpcap killed in the middle of the last block
    rec = open_recording(path)
    assert [f[3] for f in frames_of(path)] == [f[3] for f in frames_of(src)]
    assert rec.truncated and "capture cut short" in rec.warning


def test_packets_cut_by_the_snap_length_are_noted_not_misread(tmp_path):
    src = tmp_path / "eth.pcapng"
    export_pcapng(big_session(), src, url=URL)
    items = [(p.t, p.data[:1000] if len(p.data) > 60000 else p.data) for p in packets(src)]
    path = tmp_path / "snapped.pcapng"
    write_packets(path, items)
    rec = open_recording(path)
    # the server's side stops at the cut (nothing invented after it); the client's side goes on
    assert [f[1:] for f in frames_of(path)] == [f[1:] for f in frames_of(src) if f[2] == OUT]
    assert rec.errors[0].startswith("packet ") and "snap length" in rec.errors[0]
    assert any("gap in the capture" in line for line in rec.errors)


@pytest.mark.parametrize("data,message", [
    (b"\x0a\x0d\x0d\x0a\x0b\0\0\0\x4d\x3c\x2b\x1a" + b"\0" * 40, "invalid length 11"),
    (b"\x0a\x0d\x0d\x0a\x1c\0\0\0" + b"\0" * 20, "byte-order magic"),
    (b"\xd4\xc3\xb2\xa1\x02\x00", "pcap header is cut short"),
])
def test_a_broken_capture_is_one_clear_line(tmp_path, data, message):
    path = tmp_path / "broken.pcapng"
    path.write_bytes(data)
    with pytest.raises(RecordingError) as info:
        open_recording(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_writing_to_a_stream_needs_no_file(tmp_path):
    out = io.BytesIO()
    assert write_pcapng([FrameSeen("c1", T0, IN, b"\x21")], out) == 1
    path = tmp_path / "x.pcapng"
    path.write_bytes(out.getvalue())
    assert frames_of(path) == [("c1", T0, IN, b"\x21", False)]
