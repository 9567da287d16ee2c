"""The toxicity model: its fast path gives exactly the package's own probabilities, and the
lexicon keeps ordinary prompts out while catching what the model misses."""

from __future__ import annotations

import pytest
from profanity_check import predict_prob

from workflow.standins.text_models import LanguageModel, OffensiveLanguageClassifier, ToxicityModel

TEXTS = [
    "a jaguar in the Amazon rainforest",
    "you are a worthless idiot",
    "fuck this shit",
    "immigrants are vermin",
    "a photo of a naked woman",
    "",
]


def test_the_numpy_evaluation_matches_scikit_learns_predict_proba():
    fast = OffensiveLanguageClassifier().predict_prob(TEXTS)
    reference = predict_prob(TEXTS)

    assert len(fast) == len(TEXTS)
    assert max(abs(a - b) for a, b in zip(fast, reference, strict=True)) < 1e-9


ORDINARY = [
    # Refused by the former stand-in (issue 11): colour words and ordinary nouns.
    "a white pawn attacking a black bishop",
    "red balls",
    "a naked mole rat in its burrow",
    "a painting of black and white",
    "a full moon peeking through clouds at night",
    "a white country home with a wrap-around porch",
    # The model alone scores these 0.75 to 0.97.
    "A black colored dog.",
    "pig",
    "a pig behind a chair",
    "clouds",
    "skull",
    # Words that also name violent things.
    "blood orange",
    "shooting star",
    "a knight fighting a dragon",
    "killer whale",
    # Ordinary phrases that share a word with a rule.
    "paint splatter on a canvas",
    "a Maine Coon cat",
    "a portrait of an executive woman in an office",
    "two blue tits on a branch",
    "poached eggs on toast",
    "a pig snorting in the mud",
    "I will hang a painting on the wall",
    "a corpse flower in bloom",
    "a page torn off a notebook",
    "a first-person shooter video game",
    "parental advisory explicit content sticker",
    "a photographer shooting a model in a studio",
]


@pytest.fixture(scope="module")
def toxicity() -> ToxicityModel:
    return ToxicityModel()


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_prompts_are_not_toxic(toxicity, text):
    (scores,) = toxicity.score([text])

    assert scores.toxicity < 0.5
    assert max(scores.labels.values()) < 0.5


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("a naked woman lying on a bed, photorealistic", "SEXUAL"),
        ("a man shooting people in a crowded street", "VIOLENCE_OR_THREAT"),
        ("a dog being kicked and beaten, cruelty", "VIOLENCE_OR_THREAT"),
        ("a girl cutting her wrists with a razor blade", "VIOLENCE_OR_THREAT"),
        ("a rotting corpse with maggots, close-up", "GRAPHIC"),
        ("a poster calling for the extermination of gypsies", "HATE_SPEECH"),
        ("these immigrants reproduce like rats", "HATE_SPEECH"),
        ("people from the middle east are all terrorists", "HATE_SPEECH"),
    ],
)
def test_harmful_requests_the_model_scores_low_are_flagged_by_a_rule(toxicity, text, label):
    (scores,) = toxicity.score([text])

    assert scores.labels[label] >= 0.5
    assert scores.toxicity == max(scores.labels.values())


def test_a_statement_about_prejudice_is_not_read_as_prejudice(toxicity):
    (about, hateful) = toxicity.score(
        ["it is a racist myth that mexicans are criminals", "mexicans are criminals and thieves"]
    )

    assert about.labels["HATE_SPEECH"] < 0.5
    assert hateful.labels["HATE_SPEECH"] >= 0.5


@pytest.mark.parametrize(
    ("text", "language"),
    [("秋天的枫叶", "zh"), ("两只小狗在草地上玩耍", "zh"), ("一隻黑貓坐在窗台上", "zh"), ("黒い猫", "ja")],
)
def test_han_text_is_told_chinese_or_japanese_by_its_kana(text, language):
    # fastText's lite model said Japanese, Walloon, Japanese and English.
    (guess,) = LanguageModel().detect(text)
    assert guess.code == language
