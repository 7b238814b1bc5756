#!/usr/bin/env python3
"""A fabcheck peer that speaks the bootstrap protocol (version 2) wrongly,
on purpose, for the hostile-peer tests. It plays the client against a real
fabcheck server, or the server against a real fabcheck client, and does one
named wrong thing; the test then checks what the fabcheck side did (exit
code, message, time, files).

  hostile_peer.py client PORT SCENARIO    against a server on 127.0.0.1:PORT
  hostile_peer.py server PORT SCENARIO    for a client connecting to PORT

Prints what the fabcheck side answered (an ERROR frame's message) if it did.
"""
import json
import socket
import struct
import sys
import time

MAGIC = 0x4643484B
VERSION = 2
HELLO, ERROR, PARAMS, ADDR, SIZES, BEGIN, READY, ITERS, RESULT, END = range(1, 11)


class PeerError(Exception):
    """The fabcheck side sent an ERROR frame."""


def frame(ftype, payload=None, version=VERSION, raw=None):
    body = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else b"")
    return struct.pack("!IHHI", MAGIC, version, ftype, len(body)) + body


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("the fabcheck side closed the connection")
        data += chunk
    return data


def connect_when_listening(port, who, timeout=30):
    """A connection to 127.0.0.1:port once something listens there, tried
    every 50 ms for about a minute (fabcheck's side may start after the
    driver); who names the driver when nothing ever does."""
    for _ in range(1200):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{who}: nothing listened on port {port}")


def read_frame(sock, timeout=15):
    sock.settimeout(timeout)
    magic, version, ftype, length = struct.unpack("!IHHI", recv_exact(sock, 12))
    body = recv_exact(sock, length) if length else b""
    payload = json.loads(body) if body else None
    if ftype == ERROR:
        print(payload.get("message", ""))
        sys.stdout.flush()
        raise PeerError(payload.get("message", ""))
    return ftype, payload


def expect(sock, want):
    ftype, payload = read_frame(sock)
    if ftype != want:
        sys.exit(f"hostile_peer: expected frame {want}, got {ftype}")
    return payload


def hello(cookie=None):
    h = {"tool": "hostile", "fabcheck_version": "9.9", "host": "hostile", "memory": "host"}
    if cookie:
        h["cookie"] = cookie
    return h


def params(**kw):
    p = {"test": "pingpong", "transport": "socket", "provider": "efa", "fabric": "", "iters": 5,
         "warmup": 0, "size_time": 0.2, "verify": False, "window": 0, "bidir": False, "streams": 1,
         "op": "write", "buffers": "reuse", "all_nics": False, "endpoints": 1}
    p.update(kw)
    return p


def fake_tcp_addr(port=9):
    """A tcp-provider fabric address (struct sockaddr_in) nobody listens on."""
    return (struct.pack("<H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton("127.0.0.1")
            + b"\0" * 8).hex()


def connect(port):
    for _ in range(200):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            time.sleep(0.05)
    sys.exit("hostile_peer: no server")


# ---- playing the client against a fabcheck server ----

class Client:
    def __init__(self, port):
        self.port = port
        self.s = connect(port)
        self.cookie = None
        self.data = None

    def send(self, ftype, payload=None, **kw):
        self.s.sendall(frame(ftype, payload, **kw))

    def hello(self):
        self.send(HELLO, hello())
        self.cookie = expect(self.s, HELLO)["cookie"]

    def params(self, **kw):
        self.send(PARAMS, params(**kw))
        return expect(self.s, PARAMS)

    def addr_socket(self):
        """ADDR for the socket transport, then the data connection."""
        self.send(ADDR, {"lanes": [{"addr": "00", "provider": "kernel-tcp", "domain": "lo"}]})
        lanes = expect(self.s, ADDR)["lanes"]
        port = int(bytes.fromhex(lanes[0]["addr"]).rstrip(b"\0"))
        self.data = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.data.sendall(b"FCDT" + bytes.fromhex(self.cookie) + b"\0")

    def addr_ofi(self, provider="tcp;ofi_rxm"):
        self.send(ADDR, {"lanes": [{"addr": fake_tcp_addr(), "provider": provider, "domain": "lo"}]})
        return expect(self.s, ADDR)["lanes"]

    def sizes(self, sizes):
        self.send(SIZES, {"sizes": sizes})
        return expect(self.s, SIZES)

    def pingpong_size(self, size, iters):
        """One ping-pong size on the socket transport, played for real."""
        self.send(BEGIN, {"index": 0, "size": size})
        expect(self.s, READY)
        self.send(ITERS, {"iters": iters})
        for _ in range(iters):
            self.data.sendall(b"x" * size)
            recv_exact(self.data, size)
        expect(self.s, RESULT)


def record(**kw):
    r = {"schema": 2, "tool": "fabcheck-pingpong", "test": "pingpong", "size": 8, "lane": 0, "lanes": 1,
         "iters": 5, "lat_us_p50": 1.0, "bw_gbps": 0.01, "provider": "kernel-tcp", "transport": "socket"}
    r.update(kw)
    return r


def deep_json(depth):
    return b"[" * depth + b"]" * depth


def run_client(port, scenario):
    c = Client(port)
    if scenario == "version":
        c.send(HELLO, hello(), version=99)
        read_frame(c.s)
        return
    if scenario == "huge-length":
        c.s.sendall(struct.pack("!IHHI", MAGIC, VERSION, HELLO, 0xFFFFFFF0))
        time.sleep(1)
        return
    if scenario == "wrong-magic":
        c.s.sendall(struct.pack("!IHHI", 0x12345678, VERSION, HELLO, 2) + b"{}")
        time.sleep(0.5)
        return
    if scenario == "slow-hello":
        for b in frame(HELLO, hello()):
            c.s.sendall(bytes([b]))
            time.sleep(0.2)
        return
    c.hello()
    if scenario == "params-deep-json":
        c.send(PARAMS, raw=deep_json(100000))
        read_frame(c.s)
    elif scenario == "params-huge-length":
        c.s.sendall(struct.pack("!IHHI", MAGIC, VERSION, PARAMS, 0x7FFFFFFF))
        read_frame(c.s)
    elif scenario == "params-truncated":
        c.s.sendall(frame(PARAMS, params())[:20])
        c.s.close()
    elif scenario.startswith("params-"):
        field, value = scenario[len("params-"):].split("=", 1)
        c.send(PARAMS, params(**{field: json.loads(value)}))
        read_frame(c.s)
    elif scenario.startswith("sizes-"):
        c.params()
        c.addr_socket()
        c.send(SIZES, {"sizes": json.loads(scenario[len("sizes-"):])})
        read_frame(c.s)
    elif scenario.startswith("addr-"):
        c.params()
        lanes = json.loads(scenario[len("addr-"):])
        c.send(ADDR, {"lanes": lanes})
        read_frame(c.s)
        read_frame(c.s)
    elif scenario.startswith("begin-"):
        c.params()
        c.addr_socket()
        c.sizes([8, 4096])
        raw = scenario[len("begin-"):]
        c.send(BEGIN, raw=raw.encode()) if raw != "empty" else c.send(BEGIN)
        read_frame(c.s)
    elif scenario == "end-early":
        c.params()
        c.addr_socket()
        c.sizes([8, 4096])
        c.send(END)
        read_frame(c.s)
    elif scenario.startswith("iters-"):
        c.params()
        c.addr_socket()
        c.sizes([8])
        c.send(BEGIN, {"index": 0, "size": 8})
        expect(c.s, READY)
        c.send(ITERS, {"iters": json.loads(scenario[len("iters-"):])})
        read_frame(c.s)
    elif scenario == "rma-size-not-agreed":
        # the server agreed 11M and must refuse a BEGIN for 8M, which
        # would put 2W slots of 8M past the end of its buffers
        c.params(test="rma", transport="ofi", provider="tcp", window=0)
        c.addr_ofi()
        c.sizes([11534336])
        c.send(BEGIN, {"index": 0, "size": 8388608})
        read_frame(c.s)
    elif scenario.startswith("records-"):
        kind = scenario[len("records-"):]
        c.params()
        c.addr_socket()
        c.sizes([8])
        c.pingpong_size(8, 5)
        recs = {
            "escapes": [record(provider="kernel-tcp\u001b[2J\u001b]0;pwned\u0007")],
            "unknown-field": [record(evil=1)],
            "wrong-type": [record(size="8")],
            "wrong-size": [record(size=4096)],
            "too-many": [record()] * 50,
            "negative-rate": [record(bw_gbps=-1.0)],
        }[kind]
        c.send(RESULT, {"records": recs})
        if kind == "escapes":
            c.send(END)
            time.sleep(0.5)
        else:
            read_frame(c.s)
    elif scenario == "idle-after-hello":
        # the test's clock starts here, not when this interpreter started
        print("hostile_peer: idle after hello", file=sys.stderr, flush=True)
        time.sleep(20)
    else:
        sys.exit(f"hostile_peer: unknown client scenario {scenario}")


# ---- playing the server against a fabcheck client ----

def run_server(port, scenario):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    ls.settimeout(20)
    s, _ = ls.accept()
    read_frame(s)  # the client's hello
    if scenario.startswith("version"):
        s.sendall(frame(HELLO, hello("00" * 16), version=int(scenario[len("version"):])))
        read_frame(s)
        return
    s.sendall(frame(HELLO, hello("ab" * 16)))
    p = expect(s, PARAMS)
    s.sendall(frame(PARAMS, p))
    expect(s, ADDR)
    if scenario == "socket-addr-unterminated":
        blob = (b"10.99.99.99 80" + b"A" * 600)[:512]
        s.sendall(frame(ADDR, {"lanes": [{"addr": blob.hex(), "provider": "kernel-tcp", "domain": "lo"}]}))
    elif scenario == "socket-addr-elsewhere":
        blob = b"10.99.99.99 80\0"
        s.sendall(frame(ADDR, {"lanes": [{"addr": blob.hex(), "provider": "kernel-tcp", "domain": "lo"}]}))
    elif scenario == "rma-target-too-small":
        s.sendall(frame(ADDR, {"lanes": [{"addr": fake_tcp_addr(), "provider": "tcp;ofi_rxm", "domain": "lo"}]}))
        expect(s, SIZES)
        s.sendall(frame(SIZES, {"targets": [{"key": 1, "addr": 4096, "len": 4096}]}))
    elif scenario == "addr-odd-hex":
        s.sendall(frame(ADDR, {"lanes": [{"addr": "abc", "provider": "kernel-tcp", "domain": "lo"}]}))
    else:
        sys.exit(f"hostile_peer: unknown server scenario {scenario}")
    try:
        read_frame(s)
    except (EOFError, socket.timeout, ConnectionError):
        pass


def main():
    role, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        (run_client if role == "client" else run_server)(port, scenario)
    except PeerError:
        pass
    except (EOFError, ConnectionError, socket.timeout) as e:
        print(f"hostile_peer: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
