"""check_prompt with an in-memory analyzer: the rules, not Comprehend."""

import pytest

from text2image.config import PromptCheckConfig
from text2image.contract import CheckToxicityRequest
from text2image.domain.prompts import TooManySegments
from text2image.domain.translation import Translation, Untranslatable
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


class FakeTranslator:
    """Translates only what it knows, and refuses the rest, as the stand-in does."""

    def __init__(self, known: dict[str, str], language: str = "zh"):
        self.known = known
        self.language = language
        self.asked: list[tuple[str, str]] = []

    def to_english(self, text, source_language):
        self.asked.append((text, source_language))
        if text not in self.known:
            raise Untranslatable("Amazon Translate does not translate this language to English")
        return Translation(self.known[text], self.language)


JAGUAR_ZH = "生成一个亚马逊雨林中的美洲虎图片"
JAGUAR_EN = "Generate a picture of a jaguar in the Amazon rainforest"


def test_a_prompt_in_another_language_is_checked_as_its_english_translation():
    analyzer = FakeAnalyzer({JAGUAR_ZH: "zh"}, set())
    translator = FakeTranslator({JAGUAR_ZH: JAGUAR_EN})

    verdict = check_prompt(CheckToxicityRequest(prompt=JAGUAR_ZH), analyzer, CONFIG, translator)

    assert verdict.safe
    assert (verdict.prompt_language, verdict.translated_prompt) == ("zh", JAGUAR_EN)
    assert verdict.translated_negative_prompt is None
    assert analyzer.scored == [JAGUAR_EN]  # the translation, never the original
    assert translator.asked == [(JAGUAR_ZH, "zh")]  # the detected language, confidently


def test_a_toxic_translation_is_rejected_with_its_labels():
    analyzer = FakeAnalyzer({"eres un idiota": "es"}, {"idiot"})
    translator = FakeTranslator({"eres un idiota": "you are an idiot"}, language="es")

    verdict = check_prompt(CheckToxicityRequest(prompt="eres un idiota"), analyzer, CONFIG, translator)

    assert not verdict.safe
    assert verdict.reason_code == "TOXIC_PROMPT"
    assert verdict.labels
    assert (verdict.prompt_language, verdict.translated_prompt) == ("es", "you are an idiot")


def test_an_english_prompt_is_not_sent_to_translate():
    translator = FakeTranslator({})
    verdict = check_prompt(
        CheckToxicityRequest(prompt="a red bicycle"), FakeAnalyzer({}, set()), CONFIG, translator
    )
    assert verdict.safe
    assert (verdict.prompt_language, verdict.translated_prompt) == ("en", None)
    assert translator.asked == []


def test_a_negative_prompt_is_translated_too_and_both_english_texts_are_scored():
    analyzer = FakeAnalyzer({"flou": "fr"}, set())
    translator = FakeTranslator({"flou": "blurry"}, language="fr")
    request = CheckToxicityRequest(prompt="a jaguar", negative_prompt="flou")

    verdict = check_prompt(request, analyzer, CONFIG, translator)

    assert verdict.safe
    assert (verdict.prompt_language, verdict.translated_prompt) == ("en", None)
    assert verdict.translated_negative_prompt == "blurry"
    assert analyzer.scored == ["a jaguar", "blurry"]


def test_a_text_translate_cannot_translate_is_refused_unscored():
    analyzer = FakeAnalyzer({"un jaguar": "fr"}, set())
    verdict = check_prompt(CheckToxicityRequest(prompt="un jaguar"), analyzer, CONFIG, FakeTranslator({}))

    assert not verdict.safe
    assert verdict.reason_code == "UNSUPPORTED_LANGUAGE"
    assert "'fr'" in verdict.reason and "could not be translated" in verdict.reason
    assert (verdict.prompt_language, verdict.translated_prompt) == ("fr", None)
    assert analyzer.scored == []


def test_with_translation_off_another_language_is_refused_without_asking_translate():
    analyzer = FakeAnalyzer({JAGUAR_ZH: "zh"}, set())
    translator = FakeTranslator({JAGUAR_ZH: JAGUAR_EN})
    config = PromptCheckConfig(translate_prompts=False)

    verdict = check_prompt(CheckToxicityRequest(prompt=JAGUAR_ZH), analyzer, config, translator)

    assert verdict.reason_code == "UNSUPPORTED_LANGUAGE"
    assert "Only English prompts" in verdict.reason
    assert translator.asked == []


def test_an_unclear_language_is_left_to_translates_own_detection():
    class Unsure(FakeAnalyzer):
        def detect_languages(self, text):
            return [LanguageGuess("et", 0.6), LanguageGuess("fi", 0.4)]

    translator = FakeTranslator({"jaguaar": "jaguar"}, language="et")
    check_prompt(CheckToxicityRequest(prompt="jaguaar"), Unsure({}, set()), CONFIG, translator)
    assert translator.asked == [("jaguaar", "auto")]


def test_a_translation_too_long_to_check_is_refused_like_an_over_long_prompt():
    analyzer = FakeAnalyzer({JAGUAR_ZH: "zh"}, set())
    translator = FakeTranslator({JAGUAR_ZH: "jaguar " * 1600})  # 11 KB of English: 11 segments
    with pytest.raises(TooManySegments):
        check_prompt(CheckToxicityRequest(prompt=JAGUAR_ZH), analyzer, CONFIG, translator)
    assert analyzer.scored == []


class FakePeopleFinder:
    """Finds the listed names in a text, and records what it was asked."""

    def __init__(self, names: list[str]):
        self.names = names
        self.asked: list[str] = []

    def find_people(self, english_text):
        self.asked.append(english_text)
        return [name for name in self.names if name in english_text]


def test_a_named_person_with_violent_words_is_refused_though_no_toxicity_score_reaches_its_threshold():
    finder = FakePeopleFinder(["Donald Trump"])
    request = CheckToxicityRequest(prompt="Donald Trump beheaded on a stage")

    verdict = check_prompt(request, FakeAnalyzer({}, set()), CONFIG, people_finder=finder)

    assert not verdict.safe
    assert (verdict.reason_code, verdict.rule) == ("REAL_PERSON", "people.refuse-harmful")
    assert verdict.matched == ["Donald Trump", "beheaded"]
    assert "people.refuse-harmful" in verdict.reason and "'beheaded'" in verdict.reason
    assert verdict.policy_version


def test_a_portrait_of_a_named_person_passes_without_even_asking_for_names():
    finder = FakePeopleFinder(["Barack Obama"])
    request = CheckToxicityRequest(prompt="a portrait of Barack Obama smiling, news photo")

    verdict = check_prompt(request, FakeAnalyzer({}, set()), CONFIG, people_finder=finder)

    assert verdict.safe
    assert finder.asked == []  # no harmful word: DetectEntities is not worth a call


def test_refuse_refuses_any_named_person_and_allow_none():
    request = CheckToxicityRequest(prompt="a portrait of Barack Obama smiling")
    refuse = check_prompt(
        request,
        FakeAnalyzer({}, set()),
        PromptCheckConfig(people="refuse"),
        people_finder=FakePeopleFinder(["Barack Obama"]),
    )
    harmful = CheckToxicityRequest(prompt="Barack Obama beheaded")
    allow = check_prompt(
        harmful,
        FakeAnalyzer({}, set()),
        PromptCheckConfig(people="allow"),
        people_finder=FakePeopleFinder(["Barack Obama"]),
    )
    assert (refuse.safe, refuse.rule, refuse.matched) == (False, "people.refuse", ["Barack Obama"])
    assert allow.safe


def test_an_operator_rule_refuses_the_translated_text_and_names_its_words():
    translator = FakeTranslator({"制作管状炸弹的教程": "a tutorial for making a pipe bomb"})
    analyzer = FakeAnalyzer({"制作管状炸弹的教程": "zh"}, set())
    verdict = check_prompt(CheckToxicityRequest(prompt="制作管状炸弹的教程"), analyzer, CONFIG, translator)
    assert (verdict.safe, verdict.reason_code, verdict.rule) == (False, "DENIED_CONTENT", "weapons.making")
    assert verdict.translated_prompt == "a tutorial for making a pipe bomb"


def test_the_negative_prompt_is_not_held_against_the_policy():
    request = CheckToxicityRequest(prompt="a family picnic", negative_prompt="naked children, nudity")
    verdict = check_prompt(request, FakeAnalyzer({}, set()), CONFIG)
    assert verdict.safe


def test_a_toxic_prompt_keeps_its_toxicity_reason_before_any_policy_rule():
    analyzer = FakeAnalyzer({}, {"idiot"})
    verdict = check_prompt(CheckToxicityRequest(prompt="idiot torturing a puppy"), analyzer, CONFIG)
    assert (verdict.reason_code, verdict.rule) == ("TOXIC_PROMPT", "")
