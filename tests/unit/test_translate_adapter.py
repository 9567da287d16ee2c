"""The Translate adapter against botocore's Stubber: every TranslateText error
becomes Untranslatable (the prompt is refused), and a translation comes back whole."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from text2image.adapters.translate import AmazonTranslator
from text2image.domain.translation import Translation, Untranslatable


@pytest.fixture
def client():
    return boto3.client(
        "translate", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )


def test_a_translation_comes_back_with_its_source_language(client):
    with Stubber(client) as stub:
        stub.add_response(
            "translate_text",
            {"TranslatedText": "a dog", "SourceLanguageCode": "es", "TargetLanguageCode": "en"},
            {"Text": "un perro", "SourceLanguageCode": "auto", "TargetLanguageCode": "en"},
        )
        assert AmazonTranslator(client).to_english("un perro", "auto") == Translation("a dog", "es")


@pytest.mark.parametrize(
    ("code", "status", "says"),
    [
        ("UnsupportedLanguagePairException", 400, "does not translate this language"),
        ("DetectedLanguageLowConfidenceException", 400, "could not be told"),
        ("TextSizeLimitExceededException", 400, "too long"),
        ("TooManyRequestsException", 429, "busy"),
        ("ServiceUnavailableException", 503, "unavailable"),
        ("InternalServerException", 500, "unavailable"),
    ],
)
def test_every_translate_error_is_untranslatable_with_a_reason_that_names_no_code(client, code, status, says):
    with Stubber(client) as stub:
        stub.add_client_error("translate_text", service_error_code=code, http_status_code=status)
        with pytest.raises(Untranslatable, match=says) as raised:
            AmazonTranslator(client).to_english("un perro", "es")
    assert "Exception" not in str(raised.value)


def test_the_terminologies_the_translator_reports_come_back_with_the_translation(client):
    with Stubber(client) as stub:
        stub.add_response(
            "translate_text",
            {
                "TranslatedText": "a black cat",
                "SourceLanguageCode": "zh",
                "TargetLanguageCode": "en",
                "AppliedTerminologies": [{"Name": "CC-CEDICT_gloss", "Terms": []}],
            },
        )
        translation = AmazonTranslator(client).to_english("一只黑猫", "zh")
    assert translation == Translation("a black cat", "zh", ("CC-CEDICT_gloss",))


def test_a_refused_pair_quotes_the_translator_and_blames_no_service_by_name(client):
    said = "Unsupported language pair: fr to en (the local Translate stand-in glosses only Chinese)."
    with Stubber(client) as stub:
        stub.add_client_error(
            "translate_text", service_error_code="UnsupportedLanguagePairException", service_message=said
        )
        with pytest.raises(Untranslatable) as raised:
            AmazonTranslator(client).to_english("un chat noir", "fr")
    assert "local Translate stand-in glosses only Chinese" in str(raised.value)
    assert "Amazon Translate" not in str(raised.value)
