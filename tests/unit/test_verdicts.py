import pytest

from text2image.domain.taxonomy import MODERATION_CATEGORIES
from text2image.domain.verdicts import (
    LanguageGuess,
    ModerationLabel,
    SegmentScores,
    blocking_labels,
    language_verdict,
    moderation_verdict,
    toxicity_verdict,
)


class TestLanguageRule:
    def test_english_on_top_is_checkable(self):
        verdict = language_verdict([LanguageGuess("en", 0.55), LanguageGuess("et", 0.45)], 0.8)
        assert verdict.checkable and verdict.language == "en"

    def test_confidently_another_language_is_refused_with_a_reason(self):
        verdict = language_verdict([LanguageGuess("fr", 0.99)], 0.8)
        assert not verdict.checkable
        assert verdict.language == "fr"
        assert "Only English" in verdict.reason

    def test_an_ambiguous_short_prompt_with_english_among_the_candidates_is_checkable(self):
        # e.g. "jaguar" guessed as Estonian with little confidence
        verdict = language_verdict([LanguageGuess("et", 0.57), LanguageGuess("en", 0.43)], 0.8)
        assert verdict.checkable

    def test_an_ambiguous_prompt_where_english_is_not_a_candidate_fails_closed(self):
        verdict = language_verdict([LanguageGuess("de", 0.6), LanguageGuess("nl", 0.4)], 0.8)
        assert not verdict.checkable

    def test_no_detected_language_fails_closed(self):
        assert not language_verdict([], 0.8).checkable

    def test_the_confidence_threshold_is_inclusive(self):
        assert not language_verdict([LanguageGuess("es", 0.8), LanguageGuess("en", 0.2)], 0.8).checkable
        assert language_verdict([LanguageGuess("es", 0.79), LanguageGuess("en", 0.21)], 0.8).checkable


class TestToxicityVerdict:
    def test_benign_scores_are_safe_and_labels_are_reported_highest_first(self):
        verdict = toxicity_verdict(
            [SegmentScores("prompt", 0.02, {"INSULT": 0.01, "PROFANITY": 0.03})], 0.5, {}
        )
        assert verdict.safe
        assert [label.name for label in verdict.labels] == ["PROFANITY", "INSULT"]

    def test_overall_toxicity_at_the_threshold_rejects(self):
        verdict = toxicity_verdict([SegmentScores("prompt", 0.5, {})], 0.5, {})
        assert not verdict.safe
        assert "overall toxicity 0.50" in verdict.reasons[0]

    def test_a_label_threshold_rejects_even_when_overall_toxicity_is_low(self):
        verdict = toxicity_verdict([SegmentScores("prompt", 0.2, {"SEXUAL": 0.35})], 0.5, {"SEXUAL": 0.3})
        assert not verdict.safe
        assert verdict.reasons == ["SEXUAL 0.35 reaches its threshold 0.30"]

    def test_the_worst_segment_decides_and_labels_keep_their_highest_score(self):
        verdict = toxicity_verdict(
            [
                SegmentScores("prompt", 0.1, {"INSULT": 0.1}),
                SegmentScores("negative_prompt", 0.7, {"INSULT": 0.65}),
            ],
            0.5,
            {},
        )
        assert not verdict.safe
        assert verdict.toxicity == 0.7
        assert verdict.labels[0].score == 0.65


class TestBlockingLabels:
    """The labels a prompt rejection is counted under (RejectionsByLabel)."""

    def test_a_per_label_threshold_reports_the_label_it_rejected_for(self):
        # SEXUAL rejects at its own 0.3 while overall toxicity (0.45) stays under 0.5:
        # the rejection is counted under SEXUAL, not under no label at all.
        verdict = toxicity_verdict(
            [SegmentScores("prompt", 0.45, {"SEXUAL": 0.4, "INSULT": 0.45})], 0.5, {"SEXUAL": 0.3}
        )
        assert not verdict.safe
        assert [label.name for label in blocking_labels(verdict.labels, 0.5, {"SEXUAL": 0.3})] == ["SEXUAL"]

    def test_a_per_label_threshold_above_the_overall_one_keeps_that_label_out(self):
        labels = toxicity_verdict(
            [SegmentScores("prompt", 0.7, {"PROFANITY": 0.7, "INSULT": 0.6})], 0.5, {}
        ).labels
        assert [label.name for label in blocking_labels(labels, 0.5, {})] == ["PROFANITY", "INSULT"]
        assert [label.name for label in blocking_labels(labels, 0.5, {"PROFANITY": 0.9})] == ["INSULT"]


class TestModerationVerdict:
    def test_no_labels_is_safe(self):
        assert moderation_verdict([], MODERATION_CATEGORIES, 50).safe

    def test_a_third_level_label_blocks_through_its_parent_chain(self):
        detected = [
            ModerationLabel("Explicit", 97.0, ""),
            ModerationLabel("Explicit Nudity", 97.0, "Explicit"),
            ModerationLabel("Exposed Male Genitalia", 96.0, "Explicit Nudity"),
        ]
        verdict = moderation_verdict(detected, ("Explicit",), 50)
        assert not verdict.safe
        assert {label.name for label in verdict.blocking} == {label.name for label in detected}
        assert verdict.labels[0].score == pytest.approx(0.97)

    def test_a_label_of_a_category_that_is_not_blocked_is_reported_but_allowed(self):
        detected = [ModerationLabel("Alcoholic Beverages", 88.0, "Alcohol")]
        verdict = moderation_verdict(detected, ("Explicit", "Violence"), 50)
        assert verdict.safe
        assert [label.name for label in verdict.labels] == ["Alcoholic Beverages"]

    def test_a_second_level_label_without_its_parent_in_the_response_uses_the_taxonomy(self):
        verdict = moderation_verdict([ModerationLabel("Weapons", 70.0)], ("Violence",), 50)
        assert not verdict.safe

    def test_labels_below_min_confidence_do_not_block(self):
        verdict = moderation_verdict([ModerationLabel("Explicit", 40.0)], MODERATION_CATEGORIES, 50)
        assert verdict.safe

    def test_an_unknown_label_blocks(self):
        verdict = moderation_verdict([ModerationLabel("Something New", 90.0)], MODERATION_CATEGORIES, 50)
        assert not verdict.safe


class TestShortEnglishByItsWords:
    WORDS = frozenset({"a", "jaguar", "bauhaus", "cactus", "chat"})

    def test_known_english_words_are_checkable_though_the_detector_says_german(self):
        verdict = language_verdict([LanguageGuess("de", 0.86)], 0.8, "bauhaus", self.WORDS)
        assert (verdict.checkable, verdict.language) == (True, "en")

    def test_punctuation_and_case_do_not_hide_a_known_word(self):
        assert language_verdict([LanguageGuess("de", 0.51)], 0.8, "A jaguar!", self.WORDS).checkable

    def test_one_unknown_word_leaves_the_detector_in_charge(self):
        verdict = language_verdict([LanguageGuess("fr", 0.95)], 0.8, "un chat", self.WORDS)
        assert (verdict.checkable, verdict.language) == (False, "fr")

    def test_more_than_three_words_are_left_to_the_detector(self):
        verdict = language_verdict([LanguageGuess("de", 0.9)], 0.8, "a jaguar a cactus", self.WORDS)
        assert not verdict.checkable

    def test_a_hyphenated_word_is_read_by_its_parts_and_a_single_letter_counts_only_there(self):
        words = self.WORDS | {"yellow", "shirt", "ray", "perro"}
        assert language_verdict([LanguageGuess("de", 0.9)], 0.8, "a yellow t-shirt", words).checkable
        assert language_verdict([LanguageGuess("de", 0.9)], 0.8, "an x-ray", words | {"an"}).checkable
        # A lone letter is no English word: Spanish "y" (and) stays with the detector.
        assert not language_verdict([LanguageGuess("es", 0.9)], 0.8, "perro y chat", words).checkable

    def test_a_text_without_letters_has_no_language_to_misread(self):
        assert language_verdict([LanguageGuess("ja", 0.9)], 0.8, "42", self.WORDS).checkable
        assert language_verdict([], 0.8, "300", self.WORDS).checkable
        assert not language_verdict([LanguageGuess("de", 0.9)], 0.8, "42 Katzen", self.WORDS).checkable

    def test_text_without_a_detected_language_still_fails_closed_without_known_words(self):
        assert not language_verdict([], 0.8, "xqzv", self.WORDS).checkable
        assert language_verdict([], 0.8, "cactus", self.WORDS).checkable


def test_the_shipped_word_list_holds_short_prompts_but_no_foreign_articles():
    from text2image.domain.english_words import FOREIGN_FUNCTION_WORDS, english_words

    words = english_words()
    assert {"a", "jaguar", "bauhaus", "cactus", "anime", "cat"} <= words
    assert not FOREIGN_FUNCTION_WORDS & words
    assert {"perro", "katze", "gato", "hund"}.isdisjoint(words)
