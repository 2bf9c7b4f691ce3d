"""Request throttling per access key, as FPS did: too fast, and the answer is 503 RequestThrottled.

A token bucket per access key: ``rate`` requests a second on average, bursts of up to ``burst``.
Off unless asked for (``fpsdesk sandbox --throttle RATE``, ``POST /_sandbox/throttle``), so
tests and demos run at full speed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Throttle:
    rate: float | None = None  # requests per second per access key; None: no limit
    burst: float = 1.0
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    refused: int = 0

    def configure(self, rate: float | None, burst: float | None = None) -> None:
        if rate is not None and not 0 < rate <= 100_000:
            raise ValueError("rate must be a positive number of requests per second (or null)")
        if burst is not None and not 1 <= burst <= 100_000:
            raise ValueError("burst must be at least 1")
        with self._lock:
            self.rate = rate
            self.burst = burst if burst is not None else max(1.0, rate or 1.0)
            self._buckets.clear()
            self.refused = 0

    def allow(self, access_key: str, now: float | None = None) -> bool:
        """Take one token for this key; False means answer RequestThrottled."""
        with self._lock:
            if self.rate is None:
                return True
            moment = time.monotonic() if now is None else now
            bucket = self._buckets.get(access_key)
            if bucket is None:
                bucket = self._buckets[access_key] = _Bucket(self.burst, moment)
            bucket.tokens = min(self.burst, bucket.tokens + (moment - bucket.at) * self.rate)
            bucket.at = moment
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True
            self.refused += 1
            return False

    def describe(self) -> dict[str, float | int | None]:
        with self._lock:
            return {"rate": self.rate, "burst": self.burst, "refused": self.refused}
