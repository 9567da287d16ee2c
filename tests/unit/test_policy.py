"""The image policy's rules, read from the shipped policy file: what each refuses and what it lets pass."""

from __future__ import annotations

import pytest

from text2image.domain.policy import (
    PolicyError,
    harmful_words,
    load_policy,
    needs_people_check,
    parse_policy,
    people_verdict,
    policy_hits,
)

POLICY = load_policy()


def rules(prompt: str) -> list[str]:
    return [hit.rule for hit in policy_hits(POLICY, [prompt])]


@pytest.mark.parametrize(
    ("prompt", "rule"),
    [
        ("a naked 12 year old girl", "minors.sexualisation"),
        ("Sexy schoolgirls posing", "minors.sexualisation"),
        ("一个裸体的小孩", "minors.sexualisation"),
        ("niña desnuda", "minors.sexualisation"),
        ("a man torturing a puppy", "animals.cruelty"),
        ("kittens being tortured", "animals.cruelty"),
        ("Tierquälerei im Stall", "animals.cruelty-phrase"),
        ("a fake passport with my photo", "documents.forgery"),
        ("counterfeit 100 dollar bills", "documents.forgery"),
        ("un pasaporte falso", "documents.forgery"),
        ("假护照", "documents.forgery-phrase"),
        ("un faux passeport français", "documents.forgery"),
        ("how to make a pipe bomb, diagram", "weapons.making"),
        ("step-by-step instructions to build a ghost gun", "weapons.making"),
        ("如何制作炸弹", "weapons.making"),
    ],
)
def test_each_default_rule_refuses_its_harm_in_any_listed_language(prompt: str, rule: str):
    assert rule in rules(prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        "a child in a striped shirt on the beach",  # "strip" is no sexual word inside "striped"
        "mother breastfeeding her baby",
        "the children of same-sex parents in a park",  # "sex" of "same-sex" is no sexual word
        "a lion hunting a zebra at dawn",
        "a hunter shooting a deer in an autumn forest",
        "a horse kicking up dust",
        "a war painting with bombs exploding over the trenches",
        "renaissance painting of naked cherubs",
        "a kind woman with a basket of apples",  # German "Kind" is not listed: it is English "kind"
        "a passport photo of a smiling man",
        "an anatomical illustration of the human heart",
    ],
)
def test_benign_look_alikes_break_no_rule(prompt: str):
    assert rules(prompt) == []


def test_words_match_their_inflections_but_only_whole_words():
    assert "animals.cruelty" in rules("someone torturing cats")  # torture -> torturing, cat -> cats
    assert "animals.cruelty" in rules("a dog stabbed")  # stab -> stabbed
    assert rules("a catalogue of torture devices") == []  # "cat" is not a word of "catalogue"


def test_combinations_far_apart_do_not_count_when_the_rule_sets_a_distance():
    near = "a fake passport"
    far = "a fake mustache on a clown at a party while a traveller shows his passport"
    assert "documents.forgery" in rules(near)
    assert "documents.forgery" not in rules(far)


def test_minors_and_sexual_words_are_refused_however_far_apart():
    prompt = "a photo of a child in a park with trees and a fountain, lingerie"
    assert "minors.sexualisation" in rules(prompt)


def test_the_hit_names_the_words_as_written():
    (hit,) = [h for h in policy_hits(POLICY, ["Ein gefälschter Ausweis"]) if h.rule == "documents.forgery"]
    assert hit.words == ("gefälschter", "Ausweis")


def test_the_english_translation_is_matched_as_well_as_the_original():
    assert rules("一张图片") == []
    assert "weapons.making" in [h.rule for h in policy_hits(POLICY, ["一张图片", "how to make a bomb"])]


@pytest.mark.parametrize(
    ("setting", "people", "harmful", "rule"),
    [
        ("allow", ["Donald Trump"], ["beheaded"], None),
        ("refuse-harmful", ["Donald Trump"], ["beheaded"], "people.refuse-harmful"),
        ("refuse-harmful", ["Donald Trump"], [], None),
        ("refuse", ["Donald Trump"], [], "people.refuse"),
        ("refuse", [], ["beheaded"], None),
    ],
)
def test_the_people_setting_decides_what_a_named_person_means(setting, people, harmful, rule):
    hit = people_verdict(setting, people, harmful)
    assert (hit.rule if hit else None) == rule


def test_the_people_rule_names_the_person_and_the_harmful_words():
    harmful = harmful_words(POLICY, ["Emma Watson covered in excrement, humiliated"])
    hit = people_verdict("refuse-harmful", ["Emma Watson"], harmful)
    assert hit is not None
    assert hit.words[0] == "Emma Watson"
    assert set(hit.words[1:]) == {"excrement", "humiliated"}


def test_named_people_are_looked_for_only_when_the_setting_could_refuse():
    assert not needs_people_check("allow", ["naked"])
    assert not needs_people_check("refuse-harmful", [])
    assert needs_people_check("refuse-harmful", ["naked"])
    assert needs_people_check("refuse", [])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version = 1", "version"),
        ('version = "1"\n[[rules]]\nid = "x"', "lacks"),
        (
            'version = "1"\n[terms.a]\nen = ["x"]\n[[rules]]\nid="x"\ncategory="c"\nsays="s"\nall_of=["b"]',
            "unknown",
        ),
        ('version = "1"\n[terms.a]\nen = ["re:("]\n[people]\nharmful=["a"]', "bad pattern"),
        ('version = "1"\n[terms.a]\nen = ["x"]\n[people]\nharmful=[]', "people.harmful"),
    ],
)
def test_a_malformed_policy_file_fails_with_the_place_named(text: str, problem: str):
    with pytest.raises(PolicyError, match=problem):
        parse_policy(text)
