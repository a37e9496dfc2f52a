"""Safe downloads: checksum-verified, written to a temporary file and renamed into place.

Used by :mod:`course_utils.sources` (MNIST, PneumoniaMNIST); re-exported by
:mod:`course_utils.data`.  An interrupted or corrupt download never leaves a half-written
cache file.  ``COURSE_OFFLINE=1`` (see :mod:`course_utils.config`) makes the loaders skip
downloads altogether.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ._checks import non_negative_int, positive_float

__all__ = ["DownloadError", "download_file", "file_digest", "first_readable"]


class DownloadError(OSError):
    """A download failed (network error, HTTP error, truncated transfer)."""


def file_digest(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file (``algorithm`` is any :mod:`hashlib` name, e.g. md5)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _expected_hash(sha256: str | None, md5: str | None) -> tuple[str, str] | None:
    if sha256 and md5:
        raise ValueError("give sha256 or md5, not both")
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    return None


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    md5: str | None = None,
    timeout: float = 30.0,
    retries: int = 2,
    backoff: float = 1.0,
    verbose: bool = False,
) -> Path:
    """Download ``url`` to ``dest`` safely and return ``dest``.

    The bytes go to a temporary file in the destination folder, which is
    renamed to ``dest`` only after the transfer is complete (length matches the
    server's ``Content-Length``) and the checksum matches.  A stalled server
    (no byte for ``timeout`` seconds), a truncated transfer or a connection
    error is retried ``retries`` times with exponential back-off; HTTP client
    errors (404 ...) and checksum mismatches are not retried.  Whatever happens,
    no partial file is left behind.

    Raises :class:`DownloadError` for network/HTTP failures and ``ValueError``
    for a checksum mismatch.
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"url must be an http(s) URL, got {url!r}")
    retries = non_negative_int("retries", retries)
    timeout = positive_float("timeout", timeout)
    expected = _expected_hash(sha256, md5)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            h = hashlib.new(expected[0]) if expected else None
            received = 0
            request = urllib.request.Request(url, headers={"User-Agent": "course_utils"})
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
                length = resp.headers.get("Content-Length")
                total = int(length) if length is not None and length.isdigit() else None
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    if h is not None:
                        h.update(chunk)
            if total is not None and received != total:
                raise DownloadError(f"truncated download of {url}: got {received} of {total} bytes")
            if expected is not None and h is not None and h.hexdigest() != expected[1]:
                raise ValueError(
                    f"checksum mismatch for {url}: expected {expected[0]} {expected[1]}, "
                    f"got {h.hexdigest()} — the file is corrupt or has changed; nothing was saved"
                )
            os.replace(tmp, dest)
            if verbose:
                print(f"Downloaded {url} → {dest} ({received / 1e6:.1f} MB)")
            return dest
        except urllib.error.HTTPError as exc:
            last_error = exc
            if 400 <= exc.code < 500:
                raise DownloadError(f"HTTP {exc.code} for {url}: {exc.reason}") from exc
        except ValueError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts, resets, truncation (IncompleteRead) ...: retry.
            last_error = exc
        finally:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
    raise DownloadError(f"could not download {url} after {retries + 1} attempt(s): {last_error}") from last_error


def first_readable(paths: Iterable[Path], reader: Callable[[Path], Any], verbose: bool) -> tuple[Path, Any] | None:
    """The first existing file that ``reader`` accepts; corrupt ones are skipped with a note."""
    for p in paths:
        if p.is_file():
            try:
                return p, reader(p)
            except ValueError as exc:
                if verbose:
                    print(f"Skipping {p}: {exc}")
    return None
