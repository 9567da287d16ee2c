"""check_prompt with an in-memory analyzer: the rules, not Comprehend."""

from text2image.config import PromptCheckConfig
from text2image.contract import CheckToxicityRequest
from text2image.domain.verdicts import LanguageGuess, SegmentScores
from text2image.prompt_check import check_prompt

CONFIG = PromptCheckConfig()


class FakeAnalyzer:
    def __init__(self, languages: dict[str, str], toxic_words: set[str]):
        self.languages = languages
        self.toxic_words = toxic_words
        self.scored: list[str] = []

    def detect_languages(self, text):
        return [LanguageGuess(self.languages.get(text, "en"), 0.99)]

    def detect_toxicity(self, texts):
        self.scored.extend(texts)
        return [
            SegmentScores("", 0.9 if set(text.split()) & self.toxic_words else 0.05, {"INSULT": 0.1})
            for text in texts
        ]


def test_an_english_benign_prompt_is_safe():
    verdict = check_prompt(CheckToxicityRequest(prompt="a red bicycle"), FakeAnalyzer({}, set()), CONFIG)
    assert verdict.safe
    assert verdict.language == "en"
    assert verdict.toxicity == 0.05


def test_a_toxic_negative_prompt_rejects_the_request():
    analyzer = FakeAnalyzer({}, {"idiots"})
    verdict = check_prompt(CheckToxicityRequest(prompt="a crowd", negative_prompt="idiots"), analyzer, CONFIG)
    assert not verdict.safe
    assert verdict.reason_code == "TOXIC_PROMPT"
    assert analyzer.scored == ["a crowd", "idiots"]


def test_a_non_english_negative_prompt_fails_closed_before_anything_is_scored():
    analyzer = FakeAnalyzer({"des idiots": "fr"}, set())
    request = CheckToxicityRequest(prompt="a crowd", negative_prompt="des idiots")
    verdict = check_prompt(request, analyzer, CONFIG)
    assert not verdict.safe
    assert verdict.reason_code == "UNSUPPORTED_LANGUAGE"
    assert verdict.language == "fr"
    assert analyzer.scored == []
