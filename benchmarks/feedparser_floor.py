#!/usr/bin/env python3
"""The parser's floor of a first pass: feedparser alone over every feed in a folder.

Each file is parsed the way tracker/sources/rss.py calls feedparser (no sanitizing, no
URI resolving, UTF-8 declared), in this one process; prints `{"cpu": s, "feeds": n}`,
the CPU time of the parsing alone. A first pass cannot take less wall time than that
CPU spread over every core (`os.sched_getaffinity`), whatever the rest costs.

    .venv/bin/python benchmarks/feedparser_floor.py DIR
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import feedparser

HEADERS = {"content-type": "application/xml; charset=utf-8"}


def main() -> None:
    documents = [path.read_bytes() for path in sorted(Path(sys.argv[1]).iterdir())]
    start = time.process_time()
    for content in documents:
        feedparser.parse(
            io.BytesIO(content),
            response_headers=HEADERS,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    print(json.dumps({"cpu": time.process_time() - start, "feeds": len(documents)}))


if __name__ == "__main__":
    main()
