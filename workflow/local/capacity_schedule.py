"""RefreshGenerationCapacity on a timer, as an EventBridge schedule runs it in the cloud."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from workflow.local.lambda_dispatch import LambdaDispatcher

CAPACITY_FUNCTION = "RefreshGenerationCapacity"
# Every minute in the cloud; sooner here, so a load test sees a resize within a burst.
LOCAL_CAPACITY_REFRESH_SECONDS = 5.0


class CapacitySchedule:
    """Runs the real handler through the local dispatcher, once now and then every `seconds`."""

    def __init__(self, dispatcher: LambdaDispatcher) -> None:
        self._dispatcher = dispatcher
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> dict[str, Any]:
        payload, error = self._dispatcher.invoke(CAPACITY_FUNCTION, b"{}")
        result = json.loads(payload)
        if error:
            raise RuntimeError(f"{CAPACITY_FUNCTION} failed: {result.get('errorMessage')}")
        return dict(result)

    def start(self, seconds: float) -> None:
        self.refresh()
        self._stopped.clear()
        self._thread = threading.Thread(target=self._every, args=(seconds,), name="capacity", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _every(self, seconds: float) -> None:
        while not self._stopped.wait(seconds):
            try:
                self.refresh()
            except Exception:  # the next tick tries again, as the schedule would
                logging.getLogger(__name__).warning("capacity refresh failed", exc_info=True)
