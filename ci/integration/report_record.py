#!/usr/bin/env python3
"""Prints one fabcheck record (schema 2) for the report tests:
  report_record.py [KEY=VALUE]...
VALUE is JSON when it parses as JSON (numbers, null, true), else a string.
Defaults: a one-way, single-lane bw record over libfabric's tcp provider."""
import json
import sys

rec = {"schema": 2, "tool": "fabcheck-bw", "fabcheck_version": "0.2.0", "test": "bw", "transport": "ofi",
       "provider": "tcp;ofi_rxm", "fabric": "lo", "domain": "lo", "memory": "host", "peer_memory": "host",
       "local_host": "a", "peer_host": "b", "timestamp": "2026-11-20T10:00:00.000Z", "lane": 0, "lanes": 1,
       "direction": "uni", "streams": 1}
for arg in sys.argv[1:]:
    key, _, value = arg.partition("=")
    try:
        rec[key] = json.loads(value)
    except ValueError:
        rec[key] = value
print(json.dumps({k: v for k, v in rec.items() if v is not None}))
