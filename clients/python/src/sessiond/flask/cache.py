"""The extension's cache of validated sessions: bounded in entries and in age.

A hit skips the round trip to sessiond, so a session revoked or ended elsewhere is still
accepted by this process for at most ``ttl`` seconds after it ended (and never past its own
deadline, which the entry carries). Keys are a SHA-256 of the token: the cache never holds a
token it could leak in a dump.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Callable, Optional

from ..models import ValidatedSession


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionCache:
    def __init__(
        self,
        ttl: float,
        size: int,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.ttl, self.size = ttl, size
        self._clock, self._wall = clock, wall
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, ValidatedSession]] = OrderedDict()

    def get(self, token: str) -> Optional[ValidatedSession]:
        if self.ttl <= 0 or self.size <= 0:
            return None
        k = _key(token)
        with self._lock:
            entry = self._entries.get(k)
            if entry is None:
                return None
            stored, session = entry
            if self._clock() - stored >= self.ttl or session.expires_at <= self._wall():
                del self._entries[k]
                return None
            self._entries.move_to_end(k)
            return session

    def put(self, token: str, session: ValidatedSession) -> None:
        if self.ttl <= 0 or self.size <= 0:
            return
        k = _key(token)
        with self._lock:
            self._entries[k] = (self._clock(), session)
            self._entries.move_to_end(k)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, token: str) -> None:
        with self._lock:
            self._entries.pop(_key(token), None)

    def drop_user(self, username: str) -> None:
        with self._lock:
            for k in [k for k, (_, s) in self._entries.items() if s.username == username]:
                del self._entries[k]

    def __len__(self) -> int:
        return len(self._entries)
