"""What the Chinese and Japanese glosses share, without their dictionaries: the
fail-closed rule, a dictionary sense made bare, and a place put after its noun."""

from __future__ import annotations

import re

import pytest

from workflow.standins.dictionary_gloss import NotGlossable, Unit, bare_sense, known_pieces, place_locatives

HAN = re.compile(r"[\u4e00-\u9fff]")
KNOWN = {"雨林", "中", "雨"}


def test_a_word_is_cut_into_the_longest_pieces_the_dictionary_knows():
    assert known_pieces("雨林中", KNOWN.__contains__, HAN) == ["雨林", "中"]


def test_a_character_no_piece_covers_refuses_the_whole_word_rather_than_dropping_it():
    with pytest.raises(NotGlossable, match="'杀'"):
        known_pieces("雨林杀", KNOWN.__contains__, HAN)


def test_a_character_outside_the_script_stands_alone():
    assert known_pieces("雨7", KNOWN.__contains__, HAN) == ["雨", "7"]


@pytest.mark.parametrize(
    ("definition", "sense"),
    [
        ("to kill; to murder", "kill"),
        ("dog (Canis (lupus) familiaris)", "dog"),  # nested notes go whole
        ("(the) day", "day"),
        ("a man, a fellow", "man"),
    ],
)
def test_a_definition_is_made_bare(definition, sense):
    assert bare_sense(definition) == sense


def test_a_place_goes_after_the_noun_it_describes_and_keeps_its_source_as_written():
    units = [Unit("forest", "n", "森"), Unit("in", "f", "中"), Unit("house", "n", "家")]

    (house, place) = place_locatives(units, ("n",))

    assert (house.english, place.english, place.source) == ("house", "in forest", "森中")
