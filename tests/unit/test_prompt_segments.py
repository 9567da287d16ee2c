import pytest

from text2image.contract import MAX_PROMPT_CHARS
from text2image.domain.prompts import MAX_SEGMENT_BYTES, TooManySegments, prompt_segments, split_utf8


def test_short_text_is_one_segment():
    assert split_utf8("a jaguar in the rainforest") == ["a jaguar in the rainforest"]


def test_long_text_is_cut_at_spaces_within_the_byte_limit():
    text = " ".join(["jaguar"] * 400)  # 2799 bytes
    pieces = split_utf8(text)
    assert len(pieces) == 3
    assert all(len(piece.encode()) <= MAX_SEGMENT_BYTES for piece in pieces)
    assert all(word == "jaguar" for piece in pieces for word in piece.split(" "))
    assert " ".join(pieces) == text


def test_multibyte_text_without_spaces_is_never_cut_inside_a_character():
    text = "雨" * 700  # 3 bytes each: 2100 bytes
    pieces = split_utf8(text)
    assert [len(piece.encode()) for piece in pieces] == [1023, 1023, 54]
    assert "".join(pieces) == text


def test_blank_text_has_no_segments():
    assert split_utf8("   ") == []


def test_prompt_and_negative_prompt_segments_are_labelled_by_source():
    segments = prompt_segments("a cat", "blurry")
    assert [(s.source, s.text) for s in segments] == [("prompt", "a cat"), ("negative_prompt", "blurry")]


def test_the_largest_request_the_contract_allows_fits_in_ten_segments():
    widest = "\U0001f600" * MAX_PROMPT_CHARS  # 4 bytes per character
    assert len(prompt_segments(widest, widest)) <= 10


def test_more_than_ten_segments_are_refused():
    with pytest.raises(TooManySegments, match="at most 10"):
        prompt_segments("x" * 6000, "y" * 6000)
