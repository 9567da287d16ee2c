"""The Translate stand-in through a real boto3 client: TranslateText's wire
protocol, its limits and every error the workflow must handle."""

from __future__ import annotations

import re

import pytest
import requests
from botocore.exceptions import ClientError

from workflow.standins.admin import inject_fault, install_translation
from workflow.standins.translate import GLOSS_TERMINOLOGY, JAPANESE_GLOSS_TERMINOLOGY

JAGUAR_ZH = "生成一个亚马逊雨林中的美洲虎图片"
JAGUAR_EN = "Generate a picture of a jaguar in the Amazon rainforest"
FRENCH = "un jaguar dans la forêt amazonienne au lever du soleil"


def error_of(call) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


def test_an_installed_translation_is_answered_in_translates_shape(standins, translate):
    install_translation(standins.standins_url, "zh", JAGUAR_ZH, JAGUAR_EN)

    answer = translate.translate_text(Text=JAGUAR_ZH, SourceLanguageCode="zh", TargetLanguageCode="en")

    assert answer["TranslatedText"] == JAGUAR_EN
    assert (answer["SourceLanguageCode"], answer["TargetLanguageCode"]) == ("zh", "en")


def test_auto_detects_the_source_language_with_the_comprehend_stand_in(standins, translate):
    install_translation(standins.standins_url, "zh", JAGUAR_ZH, JAGUAR_EN)

    answer = translate.translate_text(Text=JAGUAR_ZH, SourceLanguageCode="auto", TargetLanguageCode="en")

    assert (answer["TranslatedText"], answer["SourceLanguageCode"]) == (JAGUAR_EN, "zh")


def test_a_text_without_an_installed_translation_is_an_unsupported_pair_not_a_guess(standins, translate):
    install_translation(standins.standins_url, "zh", JAGUAR_ZH, JAGUAR_EN)

    code, status, response = error_of(
        lambda: translate.translate_text(Text=FRENCH, SourceLanguageCode="auto", TargetLanguageCode="en")
    )

    assert (code, status) == ("UnsupportedLanguagePairException", 400)
    assert (response["SourceLanguageCode"], response["TargetLanguageCode"]) == ("fr", "en")


def test_an_installed_translation_answers_only_its_own_language_pair(standins, translate):
    install_translation(standins.standins_url, "zh", JAGUAR_ZH, JAGUAR_EN)

    code, _, _ = error_of(
        lambda: translate.translate_text(Text=JAGUAR_ZH, SourceLanguageCode="ja", TargetLanguageCode="en")
    )
    assert code == "UnsupportedLanguagePairException"


def test_a_language_translate_does_not_know_is_an_unsupported_pair(translate):
    code, status, _ = error_of(
        lambda: translate.translate_text(Text="hello", SourceLanguageCode="xx", TargetLanguageCode="en")
    )
    assert (code, status) == ("UnsupportedLanguagePairException", 400)


def test_auto_on_text_with_no_detectable_language_is_low_confidence(translate):
    code, status, _ = error_of(
        lambda: translate.translate_text(Text="1234 !!", SourceLanguageCode="auto", TargetLanguageCode="en")
    )
    assert (code, status) == ("DetectedLanguageLowConfidenceException", 400)


def test_text_already_in_the_target_language_comes_back_unchanged(translate):
    answer = translate.translate_text(
        Text="a jaguar in the rainforest at dawn", SourceLanguageCode="en", TargetLanguageCode="en"
    )
    assert answer["TranslatedText"] == "a jaguar in the rainforest at dawn"


def test_text_over_10000_bytes_of_utf8_is_refused_though_under_10000_characters(translate):
    text = "美" * 3334  # 10,002 bytes in 3,334 characters: botocore's own check passes it
    code, status, _ = error_of(
        lambda: translate.translate_text(Text=text, SourceLanguageCode="zh", TargetLanguageCode="en")
    )
    assert (code, status) == ("TextSizeLimitExceededException", 400)


def test_text_of_exactly_10000_bytes_is_within_the_limit(standins, translate):
    text = "a" * 10_000
    install_translation(standins.standins_url, "fr", text, "b")

    answer = translate.translate_text(Text=text, SourceLanguageCode="fr", TargetLanguageCode="en")
    assert answer["TranslatedText"] == "b"


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("throttle", "TooManyRequestsException", 429),
        ("error", "InternalServerException", 500),
        ("unavailable", "ServiceUnavailableException", 503),
    ],
)
def test_injected_faults_are_translates_own_errors(standins, translate, kind, code, status):
    install_translation(standins.standins_url, "zh", JAGUAR_ZH, JAGUAR_EN)
    inject_fault(standins.standins_url, "translate", kind)

    assert error_of(
        lambda: translate.translate_text(Text=JAGUAR_ZH, SourceLanguageCode="zh", TargetLanguageCode="en")
    )[:2] == (code, status)
    # The fault was for one call only.
    assert translate.translate_text(Text=JAGUAR_ZH, SourceLanguageCode="zh", TargetLanguageCode="en")


def test_only_translate_can_be_made_unavailable(standins):
    response = requests.post(
        f"{standins.standins_url}/_admin/faults",
        json={"service": "comprehend", "kind": "unavailable"},
        timeout=10,
    )
    assert response.status_code == 400


def test_the_admin_route_lists_clears_and_validates_installed_translations(standins):
    url = f"{standins.standins_url}/_admin/translations"
    install_translation(standins.standins_url, "es", "un perro", "a dog")
    assert requests.get(url, timeout=10).json() == [
        {"source_language": "es", "target_language": "en", "text": "un perro", "translated_text": "a dog"}
    ]

    bad = requests.post(url, json={"source_language": "es", "text": "un perro"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["__type"] == "InvalidParameterException"

    requests.delete(url, timeout=10).raise_for_status()
    assert requests.get(url, timeout=10).json() == []


WALKTHROUGH_ZH = "生成一个晴朗的一天"  # "generate a sunny day", the original design's walkthrough prompt


def test_chinese_is_glossed_with_cc_cedict_and_the_answer_says_it_is_a_gloss(translate):
    answer = translate.translate_text(Text=WALKTHROUGH_ZH, SourceLanguageCode="auto", TargetLanguageCode="en")

    assert answer["TranslatedText"] == "generate a sunny and cloudless day"
    assert answer["SourceLanguageCode"] == "zh"
    (terminology,) = answer["AppliedTerminologies"]
    assert terminology["Name"] == GLOSS_TERMINOLOGY
    assert {"SourceText": "晴朗", "TargetText": "sunny and cloudless"} in terminology["Terms"]


def test_the_gloss_names_a_terminology_as_translate_allows_names():
    assert re.fullmatch(r"([A-Za-z0-9-]_?)+", GLOSS_TERMINOLOGY) and len(GLOSS_TERMINOLOGY) <= 256


@pytest.mark.parametrize(
    ("text", "source", "english"),
    [
        ("生成一个亚马逊雨林中的美洲虎图片", "zh", "generate a jaguar picture in Amazon rainforest"),
        ("生成一個亞馬遜雨林中的美洲虎圖片", "zh-TW", "generate a jaguar picture in Amazon rainforest"),
        ("森林裡的房子", "zh-TW", "house in forest"),
        ("一只狗在草地上奔跑", "zh", "a dog on lawn run"),
        ("画一个裸体的女人", "zh", "draw a naked woman"),
    ],
)
def test_simplified_and_traditional_chinese_read_as_english_prompts(translate, text, source, english):
    answer = translate.translate_text(Text=text, SourceLanguageCode=source, TargetLanguageCode="en")
    assert answer["TranslatedText"] == english


def test_an_installed_translation_comes_before_the_gloss_and_claims_no_terminology(standins, translate):
    install_translation(standins.standins_url, "zh", JAGUAR_ZH, JAGUAR_EN)

    answer = translate.translate_text(Text=JAGUAR_ZH, SourceLanguageCode="zh", TargetLanguageCode="en")

    assert answer["TranslatedText"] == JAGUAR_EN
    assert "AppliedTerminologies" not in answer


def test_japanese_sent_as_chinese_is_refused_not_half_glossed(translate):
    code, _, response = error_of(
        lambda: translate.translate_text(
            Text="桜の木の下で眠る猫", SourceLanguageCode="zh", TargetLanguageCode="en"
        )
    )
    assert code == "UnsupportedLanguagePairException"
    assert "local Translate stand-in" in response["Error"]["Message"]


@pytest.mark.parametrize(
    ("text", "source"), [(FRENCH, "fr"), ("검은 고양이", "ko"), ("eine schwarze Katze", "de")]
)
def test_a_language_only_the_stand_in_lacks_is_refused_in_the_stand_ins_name(translate, text, source):
    code, _, response = error_of(
        lambda: translate.translate_text(Text=text, SourceLanguageCode=source, TargetLanguageCode="en")
    )
    message = response["Error"]["Message"]

    assert code == "UnsupportedLanguagePairException"
    # Amazon Translate translates every one of these pairs: the limit is the stand-in's.
    assert "local Translate stand-in" in message
    assert "Amazon Translate itself supports this pair" in message


def test_japanese_is_glossed_with_jmdict_and_the_answer_says_it_is_a_gloss(translate):
    answer = translate.translate_text(
        Text="晴れた日の富士山", SourceLanguageCode="auto", TargetLanguageCode="en"
    )

    # "晴れた" (cleared up) describes the day: the verb's "to be sunny" sense, not "clear up".
    assert answer["TranslatedText"] == "sunny day Mount Fuji"
    assert answer["SourceLanguageCode"] == "ja"
    (terminology,) = answer["AppliedTerminologies"]
    assert terminology["Name"] == JAPANESE_GLOSS_TERMINOLOGY != GLOSS_TERMINOLOGY
    assert {"SourceText": "富士山", "TargetText": "Mount Fuji"} in terminology["Terms"]


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("黒い猫", "black cat"),
        ("森の中の家", "house in forest"),  # a locative after "の" is a preposition, after the noun
        ("机の上のりんご", "apple on desk"),
        ("公園で遊ぶ二匹の犬", "park play two dog"),  # particles and the counter "匹" dropped
        ("宇宙飛行士が月面を歩く", "astronaut moon's surface walk"),  # JMdict's compound, not its parts
        ("猫を描かないでください", "cat not draw"),  # the negation kept, the politeness dropped
    ],
)
def test_japanese_reads_as_an_english_prompt(translate, text, english):
    answer = translate.translate_text(Text=text, SourceLanguageCode="auto", TargetLanguageCode="en")
    assert (answer["SourceLanguageCode"], answer["TranslatedText"]) == ("ja", english)


@pytest.mark.parametrize(
    ("text", "missing"),
    [("ピカチュウの絵", "ピカチュウ"), ("黒い고양이", "고양이")],  # a word JMdict lacks; hangul
)
def test_a_japanese_word_the_dictionary_lacks_refuses_the_whole_text(translate, text, missing):
    code, _, response = error_of(
        lambda: translate.translate_text(Text=text, SourceLanguageCode="ja", TargetLanguageCode="en")
    )
    message = response["Error"]["Message"]

    assert code == "UnsupportedLanguagePairException"
    assert "local Translate stand-in's JMdict gloss failed" in message and missing in message
