#!/usr/bin/env python3
"""A fabcheck-pairs agent that joins a real coordinator and does one named
wrong thing, for the hostile-agent tests; the test then checks what the
coordinator did (exit code, message, files, memory).

  hostile_agent.py PORT RANK NODES SCENARIO

Scenarios:
  name:TEXT          joins with TEXT as its host name
  node-name:TEXT     joins with a good host name and TEXT as its node name
  job:TEXT           joins as an agent of the launcher job TEXT
  secret:TEXT        joins presenting TEXT as the run's secret (empty: none)
  report-unpaired    reports a failure for a round in which it had no partner
  report-flood:N     reports N minimal records for its first round

  hostile_agent.py stranger PORT SECONDS
                     joins nothing: says HELLO as a test client to an
                     agent's port over and over, to take a real partner's
                     place; prints "ACCEPTED" if an agent took it, else how
                     often it was refused

Prints what the coordinator answered (an ERROR frame's message) if it did.
"""
import socket
import struct
import sys
import time

# the bootstrap's framing, shared with the hostile test peer beside this file
from hostile_peer import HELLO, PeerError, connect_when_listening, frame, recv_exact
from hostile_peer import read_frame as peer_read_frame

ROUND, REPORT, FINISH = 11, 12, 13


def read_frame(sock, timeout=60):
    """A frame; an ERROR frame's message is printed and ends the driver."""
    try:
        return peer_read_frame(sock, timeout)
    except PeerError:
        sys.exit(0)


def join(port, rank, nodes, host="hostile", node_name=None, job_id=None, secret=None):
    # started before the coordinator: the test waits for this line, then
    # starts it, and the join follows within one poll
    print("hostile_agent: waiting for the coordinator", file=sys.stderr, flush=True)
    s = connect_when_listening(port, "hostile_agent: no coordinator")
    hello = {"tool": "fabcheck-pairs", "fabcheck_version": "9.9", "role": "agent", "rank": rank,
             "nodes": nodes, "host": host, "port": 9, "product": ""}
    if node_name is not None:
        hello["node_name"] = node_name
    if job_id is not None:
        hello["job_id"] = job_id
    if secret:
        hello["secret"] = secret
    s.sendall(frame(HELLO, hello))
    read_frame(s)  # the coordinator's HELLO (or ERROR: printed, exit)
    s.sendall(frame(REPORT, {"round": -1, "ok": True, "lanes": [{"domain": "lo", "state": "up"}]}))
    return s


def record(rank, peer, rnd, i):
    return {"schema": 1, "tool": "fabcheck-pingpong", "fabcheck_version": "9.9", "test": "pingpong",
            "rank": rank, "peer_rank": peer, "round": rnd, "size": 8 + i, "iterations": 1,
            "lat_us_p50": 1.0, "timestamp": "2026-12-06T00:00:00Z"}


def rounds(s, rank, scenario):
    """Answers each ROUND as the scenario says until FINISH or the end."""
    while True:
        try:
            ftype, msg = read_frame(s)
        except EOFError:
            return
        if ftype == FINISH:
            return
        if ftype != ROUND:
            continue
        rnd, peer = msg["round"], msg["peer"]
        report = {"round": rnd, "records": [], "failures": []}
        if scenario == "report-unpaired" and peer is None:
            report["failures"] = [{"message": "made up: no partner this round"}]
        elif scenario.startswith("report-flood:") and peer is not None:
            n = int(scenario.split(":", 1)[1])
            report["records"] = [record(rank, peer["rank"], rnd, i) for i in range(n)]
        elif peer is not None:
            report["failures"] = [{"message": "hostile agent: measured nothing"}]
        s.sendall(frame(REPORT, report))


def stranger(port, seconds):
    refused = 0
    end = time.time() + seconds
    while time.time() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(frame(HELLO, {"tool": "fabcheck-pingpong", "fabcheck_version": "9.9", "host": "stranger",
                                    "memory": "host"}))
            s.settimeout(30)
            _, _, ftype, length = struct.unpack("!IHHI", recv_exact(s, 12))
            if ftype == HELLO:
                print("ACCEPTED", flush=True)
                return
            refused += 1
            s.close()
        except (OSError, EOFError, struct.error):
            time.sleep(0.05)
    print(f"refused {refused}", flush=True)


def main():
    if sys.argv[1] == "stranger":
        stranger(int(sys.argv[2]), float(sys.argv[3]))
        return
    port, rank, nodes, scenario = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if scenario.startswith("name:"):
        s = join(port, rank, nodes, host=scenario[5:])
    elif scenario.startswith("node-name:"):
        s = join(port, rank, nodes, node_name=scenario[10:])
    elif scenario.startswith("job:"):
        s = join(port, rank, nodes, job_id=scenario[4:])
    elif scenario.startswith("secret:"):
        s = join(port, rank, nodes, secret=scenario[7:])
    else:
        s = join(port, rank, nodes)
    rounds(s, rank, scenario)


if __name__ == "__main__":
    try:
        main()
    except (OSError, EOFError) as e:
        print(f"hostile_agent: {e}", file=sys.stderr)
