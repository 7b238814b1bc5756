#!/usr/bin/env python3
"""Asserts a chart came out right: PNG signature and sane dimensions, SVG that
parses as XML and carries every expected series title.
  check_png_svg.py png FILE [MIN_W MIN_H]
  check_png_svg.py svg FILE TITLE...
"""
import struct
import sys
import xml.etree.ElementTree as ET


def check_png(path, min_w=400, min_h=300):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    assert data[12:16] == b"IHDR", f"{path}: no IHDR chunk"
    w, h = struct.unpack(">II", data[16:24])
    assert w >= min_w and h >= min_h, f"{path}: {w}x{h} is too small"
    assert len(data) > 5000, f"{path}: only {len(data)} bytes, an empty chart?"
    print(f"{path}: PNG {w}x{h}, {len(data)} bytes")


def check_svg(path, titles):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path}: root is {root.tag}"
    text = " ".join(t.strip() for t in root.itertext())
    for t in titles:
        assert t in text, f"{path}: no '{t}' in the chart's text"
    print(f"{path}: SVG with {', '.join(titles) or 'no titles asked'}")


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "png":
        check_png(path, *map(int, sys.argv[3:5]))
    else:
        check_svg(path, sys.argv[3:])
