"""Marked-up workbooks kept for a while, each reachable only through an unguessable token."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


class MarkedUpStore:
    """Marked-up workbooks in a private temp dir, each under an unguessable token, removed after ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.directory = Path(tempfile.mkdtemp(prefix="selfscore-web-"))
        self._clock = clock
        self._entries: dict[str, tuple[Path, str, float]] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes, download_name: str) -> str:
        self.sweep()
        token = secrets.token_urlsafe(32)
        # The path comes from the token alone; the client's name only travels in the download header.
        path = self.directory / f"{token}.xlsx"
        path.write_bytes(data)
        with self._lock:
            self._entries[token] = (path, download_name, self._clock() + self.ttl_seconds)
        return token

    def get(self, token: str) -> tuple[Path, str] | None:
        self.sweep()
        if not _TOKEN.fullmatch(token):
            return None
        with self._lock:
            entry = self._entries.get(token)
        if entry is None or not entry[0].exists():
            return None
        return entry[0], entry[1]

    def sweep(self) -> int:
        """Remove every expired workbook; returns how many went."""
        now = self._clock()
        with self._lock:
            expired = [token for token, (_, _, expires) in self._entries.items() if expires <= now]
            paths = [self._entries.pop(token)[0] for token in expired]
        for path in paths:
            path.unlink(missing_ok=True)
        return len(paths)

    def close(self) -> None:
        with self._lock:
            self._entries.clear()
        shutil.rmtree(self.directory, ignore_errors=True)
