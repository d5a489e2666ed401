"""A per-process circuit breaker for a shared service that may fail (the cache, the broker).

After a failure the service is left alone for `retry_after` seconds (callers take their fallback
at once instead of each waiting for a timeout), then one call tries it again. The start and the end
of an outage are logged once each, not once per request.
"""

import logging
import threading
import time

logger = logging.getLogger(__name__)


class Breaker:
    def __init__(self, name, fallback, *, retry_after=10.0):
        self.name = name
        self.fallback = fallback  # what callers do meanwhile, for the log line
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self.open_until = 0.0
        self.down = False
        self.failures = 0  # a generation: only a call that saw no newer failure may close the breaker

    def allows(self):
        return time.monotonic() >= self.open_until

    def failed(self, exc, what):
        with self._lock:
            self.open_until = time.monotonic() + self.retry_after
            self.failures += 1
            first = not self.down
            self.down = True
        if first:
            logger.warning(
                "%s unreachable (%s during %s: %s); %s, trying again every %ss until it answers",
                self.name,
                type(exc).__name__,
                what,
                exc,
                self.fallback,
                int(self.retry_after),
            )

    def succeeded(self, generation):
        if not self.down:
            return
        with self._lock:
            if not self.down or self.failures != generation:
                return
            self.down = False
            self.open_until = 0.0
        logger.warning("%s reachable again", self.name)

    def reset(self):
        with self._lock:
            self.open_until, self.down = 0.0, False
