"""A word-by-word English gloss of Japanese, for the Translate stand-in.

Not machine translation: janome (Apache-2.0, pure Python, the MeCab IPADIC
dictionary inside the package) cuts the text into words and gives each its
part of speech and base form ("眠る" for "眠っ"), and each word takes the first
sense of its most common JMdict entry (CC BY-SA; the SQLite database that
jamdict-data unpacks into site-packages when installed, read here with sqlite3).
Particles, auxiliaries, honorific prefixes and counters are dropped, a negation
becomes "not", and a place followed by a locative ("森の中", forest + inside)
becomes "in forest" placed after the noun it describes; the rest keeps
Japanese order, modifiers first ("晴れた日の富士山" → "sunny day Mount Fuji").

A word JMdict lacks, or letters that are neither Japanese nor ASCII, make the
whole text untranslatable (the fail-closed rule of `dictionary_gloss`).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

from workflow.standins.dictionary_gloss import (
    PUNCTUATION,
    Gloss,
    NotGlossable,
    Unit,
    assemble,
    bare_sense,
    known_pieces,
    place_locatives,
)

DICTIONARY_NAME = "JMdict"

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005]")
_ASCII = re.compile(r"[\x00-\x7f]+")

# Grammatical nouns that only turn a clause into a noun ("走ること", running).
_NOMINALISERS = frozenset(
    {"こと", "もの", "物", "の", "ん", "よう", "ため", "為", "ところ", "所", "わけ", "はず"}
)
_HONORIFIC_PREFIXES = frozenset({"お", "ご", "御"})
# Negation is the one auxiliary whose meaning a prompt cannot lose.
_NEGATIONS = frozenset({"ない", "ぬ", "ん", "ず"})
# A locative after "N の" is a preposition before N in English.
_LOCATIVES = {
    "中": "in", "なか": "in", "内": "in", "下": "under", "した": "under", "上": "on", "うえ": "on",
    "前": "in front of", "まえ": "in front of", "後ろ": "behind", "うしろ": "behind", "裏": "behind",
    "横": "beside", "よこ": "beside", "隣": "next to", "となり": "next to", "そば": "beside",
    "側": "beside", "近く": "near", "外": "outside", "そと": "outside", "間": "between",
    "周り": "around", "まわり": "around", "奥": "deep in", "向こう": "beyond",
}  # fmt: skip
_NUMERALS = {"一": "a", "二": "two", "三": "three", "四": "four", "五": "five"}
_NUMERALS |= {"六": "six", "七": "seven", "八": "eight", "九": "nine", "十": "ten"}
# IPADIC lists a few "N の locative" phrases as one noun ("木の下", JMdict: archaic "under a tree").
_LOCATIVE_PHRASE = re.compile(rf"^(.+)の({'|'.join(map(re.escape, _LOCATIVES))})$")
_NOUN_TAGS = ("n", "a")
_NOUN = "名詞,一般,*,*"
_LONGEST_COMPOUND = 4
# Senses a prompt should not take when the entry has another.
_MARGINAL = frozenset(
    {"archaism", "obsolete term", "obscure term", "rare", "dated term", "poetical term", "historical term"}
)
_USUALLY_KANA = "word usually written using kana alone"
# Words whose first common sense is not the one a prompt means ("人" "-ian", "すべて" "everything").
_OVERRIDES = {"人": "person", "ひと": "person", "すべて": "all", "全て": "all", "皆": "all"}
_SUFFIXES = {"風": "style"}  # "油絵風", oil-painting style; JMdict lists 風 as a suffix nowhere
# JMdict's part-of-speech names for each of janome's classes ("noun, used as a suffix" is no noun).
_JMDICT_CLASS = {
    "名詞": ("noun (", "nouns which", "noun or", "adjectival nouns", "pronoun", "numeric"),
    "名詞,接尾": ("suffix", "counter"),
    "動詞": ("verb",),
    "形容詞": ("adjective",),
    "副詞": ("adverb",),
    "連体詞": ("pre-noun", "adjectival"),
    "接続詞": ("conjunction",),
    "接頭詞": ("prefix",),
}
# A potential verb ("殺せる", can kill) is its Godan verb ("殺す") with -eru; JMdict lists only the latter.
_POTENTIAL = {
    "える": "う", "ける": "く", "げる": "ぐ", "せる": "す", "てる": "つ",
    "ねる": "ぬ", "べる": "ぶ", "める": "む", "れる": "る",
}  # fmt: skip
_CONJUGATION = {"一段": "Ichidan", "五段": "Godan", "サ変": "suru", "カ変": "Kuru"}
_TAGS = {"名詞": "n", "形容詞": "a", "連体詞": "a", "動詞": "v", "副詞": "d", "接続詞": "c", "接頭詞": "a"}


@dataclass(frozen=True)
class _Token:
    """What the gloss reads of one of janome's tokens."""

    surface: str
    part_of_speech: str
    base_form: str
    infl_type: str


@dataclass(frozen=True)
class _Entry:
    """One JMdict entry's senses (each its English glosses) and what ranks it."""

    senses: tuple[tuple[str, ...], ...]
    marginal: tuple[bool, ...]
    pos: tuple[str, ...]
    usually_kana: bool
    priority: int


class JapaneseGloss:
    """janome and JMdict, loaded once on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: Any = None  # janome's Tokenizer, imported on first use
        self._jmdict: sqlite3.Connection | None = None
        self._entries: dict[str, tuple[_Entry, ...]] = {}

    def warm_up(self) -> None:
        self.gloss("黒い猫")

    def _load(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                from janome.tokenizer import Tokenizer

                self._jmdict = _open_jmdict()
                self._tokenizer = Tokenizer()
            return self._tokenizer

    def gloss(self, text: str) -> Gloss:
        # Full-width letters and digits, half-width katakana: one spelling for the dictionary.
        tokenizer = self._load()
        tokens = [
            _Token(token.surface, token.part_of_speech, token.base_form, token.infl_type)
            for token in tokenizer.tokenize(unicodedata.normalize("NFKC", text))
        ]
        tokens = self._compounds(tokens)
        units: list[Unit] = []
        for index in range(len(tokens)):
            units += self._units(tokens, index, units)
        return assemble(place_locatives(units, _NOUN_TAGS))

    def _units(self, tokens: list[_Token], index: int, before: list[Unit]) -> list[Unit]:
        token = tokens[index]
        surface: str = token.surface
        pos = token.part_of_speech.split(",")
        base: str = token.base_form if token.base_form != "*" else surface
        previous = tokens[index - 1] if index else None
        if pos[0] == "記号" or not _JAPANESE.search(surface):
            return self._symbol(surface)
        if pos[0] == "助詞":
            # "猫と犬", "猫や犬": a list of nouns; every other particle is grammar English says by order.
            listing = pos[1] == "並立助詞" or (base in ("と", "や") and _next_is_noun(tokens, index))
            return [Unit("and", "c", surface)] if listing and before else []
        if pos[0] == "助動詞" or (pos[0] == "形容詞" and base == "ない" and before):
            if base in _NEGATIONS or base == "ない":
                _negate(before, surface)
            return []
        if pos[0] in ("フィラー", "感動詞") or (pos[0] == "動詞" and pos[1] in ("非自立", "接尾")):
            return []
        if pos[0] == "形容詞" and pos[1] in ("非自立", "接尾"):
            return []
        if pos[0] == "接頭詞" and base in _HONORIFIC_PREFIXES:
            return []
        # "散歩する": the noun already says the action.
        if pos[0] == "動詞" and base == "する" and previous and "サ変接続" in previous.part_of_speech:
            return []
        if pos[0] == "名詞":
            if pos[1] == "数":
                return [Unit(_NUMERALS.get(surface) or self._english(surface, pos, token), "m", surface)]
            if pos[1] == "接尾" and pos[2] in ("助数詞", "人名"):
                return []  # counters ("二匹") and name suffixes ("さん")
            if pos[1] == "非自立" and base in _NOMINALISERS:
                return []
            if base in _LOCATIVES and previous is not None and previous.surface == "の" and before:
                return [Unit(_LOCATIVES[base], "f", surface)]
            phrase = _LOCATIVE_PHRASE.match(surface)
            if phrase and self._entries_of(phrase[1]):
                return [self._unit(phrase[1], pos, None), Unit(_LOCATIVES[phrase[2]], "f", phrase[2])]
        return [self._unit(base, pos, token, surface, _describes_next_noun(tokens, index))]

    def _compounds(self, tokens: list[_Token]) -> list[_Token]:
        """Runs of nouns JMdict lists as one word: "宇宙 飛行 士" → "宇宙飛行士", astronaut, not
        "universe aviation warrior"."""
        out: list[_Token] = []
        index = 0
        while index < len(tokens):
            end = index + 1
            for longest in range(min(len(tokens), index + _LONGEST_COMPOUND), index + 1, -1):
                run = tokens[index:longest]
                if all(_compounds_with(token) for token in run) and self._entries_of(
                    "".join(token.surface for token in run)
                ):
                    end = longest
                    break
            surface = "".join(token.surface for token in tokens[index:end])
            out.append(tokens[index] if end == index + 1 else _Token(surface, _NOUN, surface, "*"))
            index = end
        return out

    def _symbol(self, surface: str) -> list[Unit]:
        stripped = surface.strip()
        if not stripped or stripped in "「」『』【】・…〜":
            return []
        if stripped in PUNCTUATION or _ASCII.fullmatch(stripped):
            return [Unit(PUNCTUATION.get(stripped, stripped), "x", "")]
        raise NotGlossable(f"'{stripped}' is in no script a Japanese dictionary covers")

    def _unit(
        self, base: str, pos: list[str], token: Any, surface: str = "", attributive: bool = False
    ) -> Unit:
        return Unit(self._english(base, pos, token, attributive), _TAGS.get(pos[0], "n"), surface or base)

    def _english(self, word: str, pos: list[str], token: Any, attributive: bool = False) -> str:
        if word in _OVERRIDES:
            return _OVERRIDES[word]
        if pos[:2] == ["名詞", "接尾"] and word in _SUFFIXES:
            return _SUFFIXES[word]
        entries = self._entries_of(word)
        if not entries and pos[0] == "動詞" and word[-2:] in _POTENTIAL:
            entries = self._entries_of(word[:-2] + _POTENTIAL[word[-2:]])
        entry = _best(entries, pos, token, bool(_KANJI.search(word)))
        if entry is None:
            # A compound IPADIC knows and JMdict does not ("亜熱帯雨林"): its longest known kanji words.
            if not _KANJI.fullmatch(word[:1]) or not all(_KANJI.match(char) for char in word):
                raise NotGlossable(f"no dictionary entry for '{word}'")
            pieces = known_pieces(word, lambda piece: bool(self._entries_of(piece)), _JAPANESE)
            return " ".join(self._english(piece, ["名詞"], None) for piece in pieces)
        return _sense(entry, attributive)

    def _entries_of(self, word: str) -> tuple[_Entry, ...]:
        with self._lock:
            if word not in self._entries:
                assert self._jmdict is not None
                self._entries[word] = _read_entries(self._jmdict, word)
            return self._entries[word]


def _compounds_with(token: _Token) -> bool:
    return token.part_of_speech.startswith(("名詞,一般", "名詞,サ変接続", "名詞,接尾,一般", "名詞,固有名詞"))


def _next_is_noun(tokens: list[_Token], index: int) -> bool:
    return index + 1 < len(tokens) and tokens[index + 1].part_of_speech.startswith("名詞")


def _describes_next_noun(tokens: list[_Token], index: int) -> bool:
    """A verb right before a noun (past "た", "ている") describes it: "晴れた日", a sunny day."""
    if not tokens[index].part_of_speech.startswith("動詞"):
        return False
    following = index + 1
    while following < len(tokens) and tokens[following].part_of_speech.startswith(
        ("助動詞", "動詞,非自立", "助詞,接続助詞")
    ):
        following += 1
    return following < len(tokens) and tokens[following].part_of_speech.startswith("名詞")


def _negate(units: list[Unit], source: str) -> None:
    """ "描かない" → "not draw": the negation goes before the word it follows."""
    if units and units[-1].tag in ("v", "a"):
        units.insert(len(units) - 1, Unit("not", "d", source))
    else:
        units.append(Unit("not", "d", source))


def _best(entries: tuple[_Entry, ...], pos: list[str], token: Any, written_in_kanji: bool) -> _Entry | None:
    """A common entry of the same part of speech (and conjugation) as janome's reading;
    a word written in kana prefers entries usually written so ("いる", to be)."""
    classes = _JMDICT_CLASS.get(",".join(pos[:2]), _JMDICT_CLASS.get(pos[0], ()))
    conjugation = next(
        (name for key, name in _CONJUGATION.items() if token is not None and key in token.infl_type), None
    )

    def rank(entry: _Entry) -> tuple[bool, bool, bool, bool, int]:  # common first, then the same class
        return (
            entry.priority > 0,
            any(name.startswith(classes) for name in entry.pos),
            conjugation is not None and any(conjugation in name for name in entry.pos),
            written_in_kanji or entry.usually_kana,
            entry.priority,
        )

    return max(entries, key=rank, default=None)


def _sense(entry: _Entry, attributive: bool) -> str:
    """The first sense that is neither archaic nor rare, bare; a verb describing a
    noun takes its first "to be …" gloss ("晴れる" → "sunny", not "clear up")."""
    usual = [senses for senses, marginal in zip(entry.senses, entry.marginal, strict=True) if not marginal]
    glosses = (usual or list(entry.senses))[0]
    if attributive:
        described = [g.removeprefix("to be ") for g in glosses if g.startswith("to be ") and "(" not in g]
        if described:
            return bare_sense(described[0])
    # "... street" (街 as a suffix), "-ian": a gloss of a word that needs another before it.
    senses = [bare_sense(gloss).removeprefix("... ") for gloss in glosses]
    return next((sense for sense in senses if sense and not sense.startswith("-")), senses[0])


def _open_jmdict() -> sqlite3.Connection:
    path = resources.files("jamdict_data") / "jamdict.db"
    if not path.is_file():
        raise RuntimeError(
            "JMdict is missing: jamdict-data unpacks jamdict.db when pip installs it "
            "(pip install -r requirements.txt)"
        )
    # Read only and immutable: the file is never written, so several threads may share it.
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def _read_entries(jmdict: sqlite3.Connection, word: str) -> tuple[_Entry, ...]:
    """Every JMdict entry that writes `word` in kanji or kana, with the priority
    tags (news1, ichi1, ...) of that writing."""
    rows = jmdict.execute(
        "SELECT idseq, (SELECT COUNT(*) FROM KJP WHERE kid = Kanji.ID) FROM Kanji WHERE text = ? "
        "UNION ALL SELECT idseq, (SELECT COUNT(*) FROM KNP WHERE kid = Kana.ID) FROM Kana WHERE text = ?",
        (word, word),
    ).fetchall()
    priorities: dict[int, int] = {}
    for idseq, priority in rows:
        priorities[idseq] = max(priorities.get(idseq, 0), priority)
    entries = []
    for idseq, priority in priorities.items():
        senses, marginal, pos, usually_kana = [], [], [], False
        for (sense_id,) in jmdict.execute("SELECT ID FROM Sense WHERE idseq = ? ORDER BY ID", (idseq,)):
            glosses = tuple(
                text
                for (text,) in jmdict.execute(
                    "SELECT text FROM SenseGloss WHERE sid = ? AND lang = 'eng'", (sense_id,)
                )
            )
            misc = {text for (text,) in jmdict.execute("SELECT text FROM misc WHERE sid = ?", (sense_id,))}
            pos += [text for (text,) in jmdict.execute("SELECT text FROM pos WHERE sid = ?", (sense_id,))]
            usually_kana = usually_kana or _USUALLY_KANA in misc
            if glosses:
                senses.append(glosses)
                marginal.append(bool(misc & _MARGINAL))
        if senses:
            entries.append(_Entry(tuple(senses), tuple(marginal), tuple(pos), usually_kana, priority))
    return tuple(entries)
