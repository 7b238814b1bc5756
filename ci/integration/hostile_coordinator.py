#!/usr/bin/env python3
"""A coordinator that lies to one agent, for the hostile-coordinator tests:
it stands between that agent and a real coordinator, passes every frame
through, and changes what the scenario says in each ROUND the agent gets.
The test then checks what the agent did (its message, and that nothing
reached the host the lie named).

  hostile_coordinator.py LISTEN_PORT REAL_PORT SCENARIO

Scenarios:
  peer:HOST:PORT   the round's partner is HOST (a host not in the job, or a
                   name) at PORT
  victim PORT SECONDS
                   stands in for a host the lie names: listens on PORT at
                   127.0.0.2 and prints "CONNECTED" for each connection
                   taken within SECONDS, else "NOTHING"
"""
import socket
import sys
import threading

from hostile_peer import ERROR, connect_when_listening, frame, recv_exact
import json
import struct

ROUND = 11


def read_raw(sock):
    head = recv_exact(sock, 12)
    _, version, ftype, length = struct.unpack("!IHHI", head)
    body = recv_exact(sock, length) if length else b""
    return version, ftype, body


def pump(src, dst, change):
    """Frames from src to dst, each through change(ftype, payload)."""
    try:
        while True:
            version, ftype, body = read_raw(src)
            if change and ftype == ROUND and body:
                msg = change(json.loads(body))
                dst.sendall(frame(ftype, msg, version=version))
            else:
                dst.sendall(frame(ftype, raw=body, version=version))
            if ftype == ERROR:
                print(json.loads(body).get("message", ""), flush=True)
    except (EOFError, OSError):
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def stand_between(listen_port, real_port, scenario):
    kind, _, arg = scenario.partition(":")
    if kind != "peer":
        sys.exit(f"hostile_coordinator: unknown scenario {scenario}")
    host, _, port = arg.rpartition(":")

    def change(msg):
        if isinstance(msg.get("peer"), dict):
            msg["peer"]["ip"] = host
            msg["peer"]["port"] = int(port)
        return msg

    srv = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
    print("hostile_coordinator: listening", file=sys.stderr, flush=True)
    srv.settimeout(120)
    agent, _ = srv.accept()
    # the real coordinator starts after its agents: wait for it, as an
    # agent does
    real = connect_when_listening(real_port, "hostile_coordinator: no real coordinator", timeout=60)
    for s in (agent, real):
        s.settimeout(None)
    up = threading.Thread(target=pump, args=(agent, real, None), daemon=True)
    up.start()
    pump(real, agent, change)
    up.join(5)


def victim(port, seconds):
    srv = socket.create_server(("127.0.0.2", port))
    print("hostile_coordinator: victim listening", file=sys.stderr, flush=True)
    srv.settimeout(seconds)
    try:
        c, _ = srv.accept()
        print("CONNECTED", flush=True)
        c.close()
    except socket.timeout:
        print("NOTHING", flush=True)


def main():
    if sys.argv[1] == "victim":
        victim(int(sys.argv[2]), float(sys.argv[3]))
    else:
        stand_between(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])


if __name__ == "__main__":
    main()
