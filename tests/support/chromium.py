"""Headless Chromium for the HTML digest: how tall a page is at a phone's width, a
screenshot of all of it, the DOM after scripts ran.

Headless Chromium lays a page out no narrower than 500 px whatever `--window-size` says,
so the height at 390 px is measured inside an iframe of exactly that width (`srcdoc`: same
origin, so the outer page may read its height). Screenshots do honour a narrow window.

    python -m tests.support.chromium DIGEST.html OUT.png   # a full-height phone screenshot
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

PHONE_WIDTH = 390
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def run(page: Path, *args: str, profile: Path | None = None) -> subprocess.CompletedProcess:
    """Chromium on a local file, with a throw-away profile."""
    if CHROMIUM is None:
        raise RuntimeError("headless Chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as scratch:
        data_dir = profile or Path(scratch)
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={data_dir}", *args, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )


def dump_dom(page: Path, *args: str) -> str:
    return run(page, "--virtual-time-budget=3000", "--dump-dom", *args).stdout


def page_size(markup: str, width: int = PHONE_WIDTH) -> tuple[int, int]:
    """(height, scroll width) in CSS px of `markup` laid out `width` px wide."""
    probe = (
        f'<!DOCTYPE html><html><body style="margin:0"><iframe id="f" style="width:'
        f'{width}px;height:300px;border:0" srcdoc="{html.escape(markup, quote=True)}">'
        "</iframe><script>var f = document.getElementById('f');"
        "f.onload = function () { var d = f.contentDocument.documentElement;"
        "document.body.setAttribute('data-size', d.scrollHeight + 'x' + d.scrollWidth);"
        "};</script></body></html>"
    )
    with tempfile.TemporaryDirectory(prefix="measure-") as scratch:
        page = Path(scratch) / "probe.html"
        page.write_text(probe, encoding="utf-8")
        dom = dump_dom(page, "--window-size=800,600", "--hide-scrollbars")
    found = re.search(r'data-size="(\d+)x(\d+)"', dom)
    if not found:
        raise RuntimeError(f"Chromium did not measure the page: {dom[-500:]!r}")
    return int(found.group(1)), int(found.group(2))


def screenshot(
    page: Path, target: Path, width: int = PHONE_WIDTH, height: int | None = None
) -> tuple[int, int]:
    """A PNG of the page at `width` px; `height` None: the whole page. → its size."""
    if height is None:
        height, _ = page_size(page.read_text(encoding="utf-8"), width)
    proc = run(
        page,
        f"--screenshot={target.resolve()}",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
    )
    if not target.exists():
        raise RuntimeError(f"no screenshot: {proc.stderr[-2000:]}")
    return png_size(target)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


if __name__ == "__main__":
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    size = screenshot(source, out)
    print(f"{out}: {size[0]}×{size[1]} px")
