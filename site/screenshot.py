"""Take the README's picture of the website: a lesson page in headless Chromium -> site/screenshot.png.

Usage (after ``make site`` and ``tools/install_browser.sh``):
``python site/screenshot.py [--lesson 05_variational_autoencoders] [--out site/screenshot.png]``.
The page is served from build/site/ on 127.0.0.1; the PNG is reduced to a 256-colour palette (small).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = HERE.parent / "build" / "site"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="05_variational_autoencoders")
    parser.add_argument("--out", type=Path, default=HERE / "screenshot.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if not (SITE / "notebooks" / f"{args.lesson}.html").exists():
        raise FileNotFoundError(f"{SITE}/notebooks/{args.lesson}.html: build the site first (make site)")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, headless=True)
            page = browser.new_page(viewport={"width": 1200, "height": 760})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/notebooks/{args.lesson}.html")
            # the first figure the lesson drew, in the middle of the window
            page.evaluate(
                "() => { const i = document.querySelector('article img[src*=\"_images/\"]');"
                " if (i) i.scrollIntoView({block: 'center'}); }"
            )
            page.wait_for_timeout(1500)
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        server.shutdown()
    Image.open(args.out).convert("RGB").quantize(colors=256).save(args.out, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
