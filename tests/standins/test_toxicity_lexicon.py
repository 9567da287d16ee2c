"""The Comprehend stand-in's word lists are data (`workflow/standins/data/toxicity_lexicon.toml`)."""

from __future__ import annotations

from pathlib import Path

from text2image.config import TOXICITY_LABELS
from workflow.standins.toxicity_lexicon import CUES, LEXICON_FILE, RULES, load_lexicon


def test_the_lexicon_names_each_comprehend_label_and_every_rule_has_a_reason() -> None:
    lexicon = load_lexicon()
    assert lexicon["version"] >= 1
    assert set(lexicon["cues"]) == set(TOXICITY_LABELS)
    for rule in lexicon["word_rules"]:
        assert rule["label"] in TOXICITY_LABELS and 0 < rule["score"] <= 1 and rule["why"], rule["name"]


def test_the_slurs_marker_expands_to_the_slurs_list(tmp_path: Path) -> None:
    text = LEXICON_FILE.read_text(encoding="utf-8")
    assert '"@slurs"' in text or "'@slurs'" in text
    lexicon = load_lexicon()
    assert set(lexicon["slurs"]) <= set(lexicon["cues"]["INSULT"])
    assert not any(word == "@slurs" for words in lexicon["cues"].values() for word in words)


def test_a_word_added_to_the_file_is_a_word_the_stand_in_knows(tmp_path: Path) -> None:
    edited = tmp_path / "lexicon.toml"
    edited.write_text(
        LEXICON_FILE.read_text(encoding="utf-8").replace(
            "[cues]\nPROFANITY = [\n", "[cues]\nPROFANITY = [\n    'zorblax',\n"
        ),
        encoding="utf-8",
    )
    assert "zorblax" in load_lexicon(edited)["cues"]["PROFANITY"]
    assert "zorblax" not in load_lexicon()["cues"]["PROFANITY"]


def test_words_from_the_file_match_on_word_boundaries_only() -> None:
    assert CUES["PROFANITY"].search("what the hell is this")
    assert not CUES["PROFANITY"].search("a shell on the beach")
    sexual = [rule for rule in RULES if rule.label == "SEXUAL"]
    assert any(rule.matches("a naked woman lying on a bed") for rule in sexual)
    assert not any(rule.matches("a naked mole rat in its burrow") for rule in sexual)


def test_nakedness_is_a_request_for_nudity_as_naked_is() -> None:
    # A dictionary gloss renders 裸 as "nakedness"; English prompts use the noun too.
    sexual = [rule for rule in RULES if rule.label == "SEXUAL"]
    assert CUES["SEXUAL"].search("a painting of nakedness")
    assert any(rule.matches("nakedness woman on a bed") for rule in sexual)
