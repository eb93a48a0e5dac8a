"""Marked-up workbooks kept for a while in a directory any server process can read, each behind an unguessable token."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

#: what secrets.token_urlsafe(32) gives: 43 URL-safe characters (wider on reading, for tokens of other lengths)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
_DATA, _META, _PARTIAL = ".xlsx", ".json", ".partial"


def default_store_directory() -> Path:
    """Where copies are kept unless told otherwise: the user's cache directory (``$XDG_CACHE_HOME/selfscore/web``)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("selfscore", appauthor=False)) / "web"


class MarkedUpStore:
    """Files kept for ``ttl_seconds`` in ``directory``: ``<token>.xlsx`` and its metadata ``<token>.json``.

    Everything a download needs is on disk, so every process that shares the directory (uvicorn workers,
    several instances on a shared disk) serves every link. The metadata holds the download name and the
    expiry time (wall clock, so it means the same to every process); the data is written first and the
    metadata renamed into place last, so a token is either complete or unknown. ``sweep()`` removes what
    has expired, and what a crashed process left half-written once it is ``ttl_seconds`` old; servers sweep
    at start-up and periodically, so nothing outlives its TTL by more than one sweep interval while any
    server runs on the directory.
    """

    def __init__(self, directory: Path | str, ttl_seconds: float, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        # Units' data: readable by this user only.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put(self, data: bytes, download_name: str) -> str:
        """Keep ``data`` and return its token; ``download_name`` only ever travels in the download header."""
        token = secrets.token_urlsafe(32)
        # The paths come from the token alone, never from the client's file name.
        self._write(self._path(token, _DATA), data)
        meta = {"download_name": download_name, "expires_at": self._clock() + self.ttl_seconds, "size": len(data)}
        self._write(self._path(token, _META), json.dumps(meta, ensure_ascii=False).encode())
        return token

    def get(self, token: str) -> tuple[Path, str] | None:
        """The kept file's path and download name, or None for an unknown, malformed or expired token."""
        if not _TOKEN.fullmatch(token):
            return None
        meta = self._meta(token)
        if meta is None:
            return None
        if meta["expires_at"] <= self._clock():
            self._remove(token)
            return None
        path = self._path(token, _DATA)
        return (path, meta["download_name"]) if path.exists() else None

    def read(self, token: str) -> tuple[bytes, str] | None:
        """The kept file's bytes and download name; None also when a sweep removed it a moment ago."""
        found = self.get(token)
        if found is None:
            return None
        try:
            return found[0].read_bytes(), found[1]
        except FileNotFoundError:
            return None

    def sweep(self) -> int:
        """Remove every expired file, and leftovers of a crashed write older than the TTL; returns how many went."""
        now = self._clock()
        removed = 0
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return 0
        tokens = {entry.name[: -len(_META)] for entry in entries if entry.name.endswith(_META)}
        for entry in entries:
            name = entry.name
            stem, _, suffix = name.partition(".")
            if not _TOKEN.fullmatch(stem):
                continue  # not ours: leave it
            if suffix == _META[1:]:
                meta = self._meta(stem)
                expired = meta["expires_at"] <= now if meta is not None else self._older_than_ttl(entry, now)
            else:  # data without metadata, or a partial write: a crash between the two writes
                expired = stem not in tokens and self._older_than_ttl(entry, now)
            if expired:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
                if suffix == _META[1:]:
                    with contextlib.suppress(FileNotFoundError):
                        self._path(stem, _DATA).unlink()
                        removed += 1
        return removed

    # --- files -----------------------------------------------------------------------------------

    def _path(self, token: str, suffix: str) -> Path:
        return self.directory / f"{token}{suffix}"

    def _write(self, path: Path, data: bytes) -> None:
        partial = path.with_name(f"{path.name}{_PARTIAL}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "wb") as output:
            output.write(data)
        os.replace(partial, path)

    def _meta(self, token: str) -> dict | None:
        try:
            meta = json.loads(self._path(token, _META).read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(meta, dict) or not isinstance(meta.get("expires_at"), int | float):
            return None
        return meta

    def _remove(self, token: str) -> None:
        for suffix in (_META, _DATA):
            with contextlib.suppress(FileNotFoundError):
                self._path(token, suffix).unlink()

    def _older_than_ttl(self, entry: os.DirEntry, now: float) -> bool:
        try:
            return entry.stat().st_mtime + self.ttl_seconds <= now
        except FileNotFoundError:
            return False
