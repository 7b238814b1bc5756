#!/usr/bin/env python3
"""Speaks (or mangles) fabcheck's bootstrap framing for the fault tests.

  bootframe.py client PORT garbage|silent|version VERSION
  bootframe.py server PORT version VERSION
Prints what the fabcheck peer answered (an ERROR frame's message), if anything.
"""
import json
import socket
import struct
import sys
import time

MAGIC = 0x4643484B
HELLO, ERROR = 1, 2


def frame(version, ftype, payload):
    body = json.dumps(payload).encode()
    return struct.pack("!IHHI", MAGIC, version, ftype, len(body)) + body


def read_frame(sock):
    sock.settimeout(10)
    hdr = b""
    while len(hdr) < 12:
        chunk = sock.recv(12 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    magic, version, ftype, length = struct.unpack("!IHHI", hdr)
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return version, ftype, json.loads(body) if body else None


def hello():
    return {"tool": "fabcheck-pingpong", "fabcheck_version": "9.9", "host": "fake",
            "params": {}}


def connect(port):
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            time.sleep(0.1)
    sys.exit("no server")


def main():
    role, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if role == "client":
        s = connect(port)
        if what == "garbage":
            s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)))
            time.sleep(0.5)
        elif what == "silent":
            time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 3)
        elif what == "version":
            s.sendall(frame(int(sys.argv[4]), HELLO, hello()))
            reply = read_frame(s)
            if reply and reply[1] == ERROR:
                print(reply[2]["message"])
        s.close()
    else:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(1)
        ls.settimeout(20)
        s, _ = ls.accept()
        read_frame(s)
        s.sendall(frame(int(sys.argv[4]), HELLO, hello()))
        reply = read_frame(s)
        if reply and reply[1] == ERROR:
            print(reply[2]["message"])
        s.close()


if __name__ == "__main__":
    main()
