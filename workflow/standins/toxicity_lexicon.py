"""The words and patterns behind the Comprehend stand-in's toxicity labels.

Two kinds of evidence, each with its reason:

* `CUES`: words that let alt-profanity-check's probability count, and name the
  label it counts for. The model is a bag of words trained on offensive tweets:
  on its own it scores "a black colored dog" 0.75, "pig" 0.97 and "clouds" 0.74,
  because those words sit next to slurs in its training data. So its probability
  is evidence only when the text also holds a cue word; a cue never raises it.
* `RULES`: what the model cannot see (it scores "a naked woman lying on a bed"
  0.1 and "women are too emotional to make important decisions" 0.01): phrases
  that are harmful whatever the model says, each with a fixed score and the
  harmful cases that justify it.

Every word was added for prompts in the tuning half of the harmful sets and
checked against the benign sets (`make eval-prompts`); ordinary nouns and colour
words ("black", "white", "pawn", "balls", "moon", "blood orange", "shooting
star", "skull") are on no list.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from text2image.config import TOXICITY_LABELS


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


# Not the animal: "a naked mole rat" is a nature photo.
NAKED = r"naked(?! mole[- ]rats?)"

SLURS = (
    r"n[i1]gg(?:er|a|ah|uh)s?",
    r"f[a@]gg?(?:ot)?s?",
    r"kikes?",
    r"spics?",
    r"gooks?",
    r"wetbacks?",
    r"trann(?:y|ies)",
    r"retard(?:s|ed)?",
    r"towel ?heads?",
    r"sand ?n[i1]gg\w*",
    r"beaners?",
    r"paki",
    r"raghead\w*",
    r"muzzies?",
    r"shemales?",
    r"porch ?monkeys?",
)

CUES: Mapping[str, re.Pattern[str]] = {
    "PROFANITY": _words(
        r"f+u+c+k\w*",
        r"fck\w*",
        r"wtf",
        r"shit\w*",
        r"bullshit",
        r"bitch\w*",
        r"cunt\w*",
        r"damn\w*",
        r"ass(?:hole)?s?",
        r"arse\w*",
        r"bastards?",
        r"crap\w*",
        r"dick\w*",
        r"piss\w*",
        r"hell",
        r"whores?",
        r"sluts?",
        r"cocks?",
        r"pussy",
        r"twats?",
        r"wankers?",
    ),
    "INSULT": _words(
        r"idiot\w*",
        r"stupid\w*",
        r"morons?",
        r"moronic",
        r"dumb\w*",
        r"worthless",
        r"losers?",
        r"ugly",
        r"pathetic",
        r"imbeciles?",
        r"trash",
        r"scum\w*",
        r"disgusting",
        r"filth\w*",
        r"garbage",
        r"freaks?",
        r"lazy",
        r"savages?",
        r"primitive",
        r"inferior",
        r"useless",
        r"ignorant",
        r"brainless",
        r"fat",
        r"hideous",
        r"creeps?",
        r"sick",
        r"cowards?",
        r"liars?",
        r"thie(?:f|ves)",
        r"criminals?",
        r"terrorists?",
        r"animals",
        r"monkeys?",
        r"apes?",
        *SLURS,
    ),
    "HARASSMENT_OR_ABUSE": _words(r"you(?:'re| are)?", r"your", r"yourself", r"shut up", r"you people"),
    "SEXUAL": _words(
        r"sex\w*",
        r"nude\w*",
        NAKED,
        r"porn\w*",
        r"nsfw",
        r"topless",
        r"genitals?",
        r"breasts?",
        r"penis\w*",
        r"vagina\w*",
        r"erotic\w*",
        r"horny",
        r"boobs?",
        r"tits?",
        r"lingerie",
        r"rape\w*",
        r"pedo\w*",
    ),
    "GRAPHIC": _words(
        r"gore",
        r"gory",
        r"blood\w*",
        r"decapitat\w*",
        r"dismember\w*",
        r"mutilat\w*",
        r"corpses?",
        r"disembowel\w*",
        r"severed",
        r"entrails",
        r"guts",
        r"dead bodies",
    ),
    "VIOLENCE_OR_THREAT": _words(
        r"kill\w*",
        r"hurt\w*",
        r"murder\w*",
        r"stab\w*",
        r"shoot\w*",
        r"beat\w*",
        r"rape\w*",
        r"bomb\w*",
        r"torture\w*",
        r"die",
        r"deport\w*",
        r"hang\w*",
        r"lynch\w*",
        r"gas",
        r"dead",
        r"destroy\w*",
        r"wipe\w*",
        r"exterminat\w*",
        r"abuse\w*",
    ),
    "HATE_SPEECH": _words(
        r"vermin",
        r"subhuman\w*",
        r"exterminat\w*",
        r"infest\w*",
        r"cockroach\w*",
        r"parasites?",
        r"inferior race",
        r"go back to",
        r"invasion",
        r"invaders?",
        r"breed\w*",
        r"jews?",
        r"muslims?",
        r"islam\w*",
        r"blacks",
        r"gays?",
        r"homos?",
        r"queers?",
        r"lesbians?",
        r"immigrants?",
        r"refugees?",
        r"mexicans?",
        r"arabs?",
        r"asians?",
        r"chinese",
        r"africans?",
        r"niggers?",
        r"race",
        r"races",
        r"women",
        r"females?",
        r"whites",
        r"trans\w*",
        r"disabled",
        r"retard\w*",
        *SLURS,
    ),
}


@dataclass(frozen=True)
class Rule:
    """A pattern the model misses, and the fixed score it gives its label."""

    label: str
    matches: Callable[[str], bool]
    score: float
    why: str


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex, re.IGNORECASE)
    return lambda text: compiled.search(text) is not None


# People as the target of an act.
_PERSON = (
    "(?:"
    + "|".join(
        (
            r"people",
            r"persons?",
            r"man",
            r"men",
            r"woman",
            r"women",
            r"girls?",
            r"boys?",
            r"child(?:ren)?",
            r"kids?",
            r"bab(?:y|ies)",
            r"teen\w*",
            r"students?",
            r"prisoners?",
            r"hostages?",
            r"villagers",
            r"civilians",
            r"crowds?",
            r"victims?",
            r"neighbou?rs?",
            r"wife",
            r"husband",
            r"family",
            r"families",
            r"him",
            r"her",
            r"them",
            r"someone",
            r"somebody",
            r"each other",
            r"pedestrians",
            r"protesters",
            r"police(?:man|men)?",
            r"officers?",
            r"soldiers?",
            r"students",
            r"classmates?",
            r"teachers?",
            r"coworkers?",
            r"boss",
        )
    )
    + ")"
)
# Groups of people that hate speech targets.
_GROUP = (
    "(?:"
    + "|".join(
        (
            r"immigrants?",
            r"refugees?",
            r"migrants?",
            r"jews?",
            r"jewish people",
            r"muslims?",
            r"christians?",
            r"blacks",
            r"black (?:people|men|women)",
            r"whites",
            r"white (?:people|men|women)",
            r"asians?",
            r"arabs?",
            r"mexicans?",
            r"latinos?",
            r"latinas?",
            r"hispanics?",
            r"chinese(?: people)?",
            r"indians?",
            r"native americans",
            r"africans?",
            r"african[- ]americans?",
            r"gays?",
            r"gay people",
            r"gay men",
            r"lesbians?",
            r"bisexuals?",
            r"trans(?:gender)?(?: people| women| men)?",
            r"queers?",
            r"homosexuals?",
            r"lgbt\w*",
            r"women",
            r"females?",
            r"girls",
            r"wives",
            r"feminists?",
            r"foreigners",
            r"gypsies",
            r"roma",
            r"disabled people",
            r"the disabled",
            r"cripples",
            r"people with disabilit\w+",
            r"(?:the )?mentally (?:ill|insane|disabled|retarded)(?: people)?",
            r"autistic people",
            r"deaf people",
            r"middle eastern(?:ers| people| men)?",
            r"people from the middle east",
            r"bi people",
            r"hispanic people",
            r"latino people",
            r"muslim (?:men|women|people)",
            r"jewish (?:race|people)",
            r"disabled (?:people|persons?|moochers)",
            r"you people",
            r"these people",
            r"those people",
        )
    )
    + ")"
)
_VERMIN = (
    "(?:"
    + "|".join(
        (
            r"rats?",
            r"vermin",
            r"cockroach(?:es)?",
            r"parasites?",
            r"animals",
            r"pigs?",
            r"apes?",
            r"monkeys?",
            r"insects?",
            r"diseases?",
            r"subhuman",
            r"savages",
            r"filth",
            r"trash",
            r"scum",
            r"garbage",
            r"freaks",
            r"degenerates",
            r"abominations",
            r"monsters",
            r"brutes",
        )
    )
    + ")"
)

RULES: tuple[Rule, ...] = (
    Rule(
        "HATE_SPEECH",
        _pattern(rf"\b{_GROUP}\s+(?:are|is|were)\s+(?:all\s+|just\s+|nothing but\s+)?(?:\w+\s+)?{_VERMIN}\b"),
        0.9,
        "A group of people called vermin or animals: dehumanisation, which the model scores low.",
    ),
    Rule(
        "HATE_SPEECH",
        _pattern(
            rf"\b(?:kill|exterminate|gas|deport|eradicate|wipe out|get rid of|ban|lock up|shoot|hang)\s+"
            rf"(?:all\s+)?(?:the\s+|these\s+|those\s+)?{_GROUP}|"
            rf"\b(?:extermination|eradication|genocide|deportation|expulsion)\s+of\s+(?:all\s+)?(?:the\s+)?{_GROUP}"
        ),
        0.95,
        "A call to harm, expel or ban a group of people.",
    ),
    Rule(
        "HATE_SPEECH",
        _words(
            r"nazi (?:rally|rallies|flags?|propaganda|salute|symbols?)",
            r"swastikas?",
            r"heil hitler",
            r"kkk",
            r"ku klux klan",
            r"white power",
            r"white supremac\w*",
            r"aryan",
            r"master race",
            r"race war",
            r"ethnic cleansing",
            r"genocide",
            r"holocaust (?:denial|was a hoax|never happened)",
            r"antisemit\w*",
            r"racist (?:cartoon|caricature|poster|meme|joke)s?",
            *SLURS,
        ).search,
        0.9,
        "Slurs and the symbols and slogans of hate groups (ToxiGen, ETHOS, unsafe image requests).",
    ),
    Rule(
        "HATE_SPEECH",
        _pattern(
            rf"\b(?:{_GROUP}|them)\s+(?:should not|shouldn't|should never)\s+be allowed\b|"
            rf"\b{_GROUP}\s+(?:are|is)\s+(?:not|n't)\s+(?:really\s+)?(?:people|human)|"
            r"\b(?:needs?|ought) to be "
            r"(?:eliminated|eradicated|removed|exterminated|wiped out|sterili[sz]ed)\b|"
            r"\bkeep them out\b|"
            r"\b(?:reproduce|breed|multiply|live|smell)\s+like\s+"
            r"(?:rats|dogs|animals|pigs|rabbits|cockroaches|vermin)\b|"
            rf"\b(?:filthy|dirty|greedy|evil|lazy|disgusting|primitive|savage|stupid|subhuman)\s+{_GROUP}"
        ),
        0.85,
        "Exclusion and dehumanisation without a slur: 'should not be allowed', 'reproduce like rats', "
        "'filthy foreigners' (ToxiGen).",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _pattern(
            r"\b(?:i(?:'ll| will| am going to|'m going to| gonna| want to| wanna)|we(?:'ll| will| should)|"
            r"someone should)\s+(?:\w+\s+)?"
            r"(?:kill|hurt|murder|stab|shoot|beat|attack|rape|hang|lynch|burn|gas|find|get|destroy)\s+(?:you|u|ya|him|her|them|your|his|their|all|every|people)\b|"
            r"\b(?:should be|deserve[sd]? to be|needs? to be|ought to be)\s+(?:\w+\s+)?"
            r"(?:killed|hurt|murdered|stabbed|shot|beaten|raped|hanged|lynched|burned|gassed|executed|"
            r"exterminated|deported)\b"
        ),
        0.9,
        "A threat, or a wish that someone be harmed.",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _pattern(
            r"\b(?:shoot(?:s|ing)?|stab(?:s|bing)?|kill(?:s|ing)?|murder(?:s|ing)?|beat(?:s|ing)?|strangl\w*|"
            r"execut(?:e|es|ing)|behead\w*|tortur(?:e|es|ing)|lynch\w*|punch(?:es|ing)?|kick(?:s|ing)?|"
            r"attack(?:s|ing)?|rap(?:e|es|ed|ing)|burn\w* alive|run\w* over|drown(?:s|ing)?|massacr\w*|"
            rf"chok(?:e|es|ing)|slaughter\w*|abus(?:e|es|ing)|bomb(?:s|ing)?)\s+(?:\w+\s+){{0,2}}?{_PERSON}\b"
        ),
        0.8,
        "Harm done to people, the violence category of unsafe-image benchmarks.",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _pattern(
            r"\bbeing\s+(?:\w+\s+(?:and|or)\s+)?(?:beaten|kicked|shot|stabbed|burn(?:ed|t) alive|tortured|"
            r"strangled|killed|murdered|raped|hanged|lynched|executed|run over|drowned|whipped|abused)\b"
        ),
        0.8,
        "Harm done to someone, in the passive ('a dog being kicked and beaten').",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _words(
            r"mass shootings?",
            r"school shoot\w*",
            r"active shooters?",
            r"suicide bomb\w*",
            r"terrorist (?:attack|bombing)s?",
            r"bombing",
            r"massacres?",
            r"war crimes?",
            r"beheading",
            r"executioner",
            r"lynching",
            r"domestic violence",
            r"molotov\w*",
            r"gun to (?:his|her|their) head",
            r"knife at (?:his|her|their) throat",
            r"hostages?",
            r"kidnapp\w*",
            r"human trafficking",
            r"child soldiers?",
            r"pipe bombs?",
            r"armed robbery",
            r"arson\w*",
            r"animal cruelty",
            r"bullet hole",
        ).search,
        0.8,
        "Violent and criminal scenes named outright.",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _words(
            r"meth(?:amphetamine)?",
            r"cocaine",
            r"heroin",
            r"fentanyl",
            r"crack cocaine",
            r"snort\w* (?:cocaine|coke|heroin|drugs|lines?|powder)",
            r"drug deal\w*",
            r"smuggl\w* (?:drugs|cocaine|heroin|weapons|guns|people|children|migrants)",
            r"counterfeit\w*",
            r"(?:drunk|drink) driv\w*",
            r"shoplift\w*",
            r"robbery",
            r"robbing",
            r"poach(?:er|ers|ing) (?:elephants|rhinos?|tigers|animals|ivory)",
            r"child porn\w*",
            r"trafficking",
        ).search,
        0.7,
        "Illegal activity (unsafe-image benchmarks' category). Comprehend has no label for it and may not "
        "flag it; the stand-in reports it as VIOLENCE_OR_THREAT so that local runs stop it.",
    ),
    Rule(
        "VIOLENCE_OR_THREAT",
        _words(
            r"suicid\w*",
            r"kill(?:s|ing)? (?:your|him|her|my|them)sel(?:f|ves)",
            r"kys",
            r"hang(?:s|ing|ed)? (?:him|her|my|your|them)sel(?:f|ves)",
            r"shoot(?:s|ing)? (?:him|her|my|your|them)sel(?:f|ves)",
            r"nooses?",
            r"self[- ]?harm\w*",
            r"(?:cut|cuts|cutting|slit|slits|slitting) (?:her|his|my|your|their) (?:wrists?|throat|arms?)",
            r"(?:cut|cuts|cutting) (?:her|him|my|your|them)sel(?:f|ves)",
            r"slit\w* (?:wrists?|throat)",
            r"bleeding wrists",
            r"overdos\w*",
            r"pro[- ]?ana",
            r"starv\w* (?:her|him|my|your|them)sel(?:f|ves)",
            r"jump\w* off (?:a|the) (?:bridge|building|roof)",
        ).search,
        0.85,
        "Self-harm and suicide (unsafe-image benchmarks' self-harm category); Comprehend has no label of "
        "its own for it, so it is reported as VIOLENCE_OR_THREAT.",
    ),
    Rule(
        "SEXUAL",
        _words(
            NAKED,
            r"nude\w*",
            r"nudity",
            r"topless",
            r"porn\w*",
            r"sex(?:ual)? acts?",
            r"sex scenes?",
            r"having sex",
            r"oral sex",
            r"sexually explicit",
            r"explicit (?:sex\w*|nud\w*|porn\w*|scenes?|photos?|images?)",
            r"genitals?",
            r"nsfw",
            r"erotic\w*",
            r"hentai",
            r"orgy",
            r"orgies",
            r"intercourse",
            r"masturbat\w*",
            r"strippers?",
            r"lap dance",
            r"nipples?",
            r"boobs?",
            r"(?:her|big|huge|nice) tits",
            r"penis\w*",
            r"vagina\w*",
            r"bondage",
            r"onlyfans",
            r"undress\w*",
            r"see-through lingerie",
            r"bare breasts",
            r"exposed breasts",
            r"full frontal",
            r"in (?:her|his|their) underwear",
            r"sexy (?:naked|nude|schoolgirl)",
            r"busty",
            r"seductive\w*",
            r"in lingerie",
            r"(?:big|huge|large|giant) (?:breasts|boobs|tits|ass|butt)",
            r"blowjob",
            r"cum\w*shot",
        ).search,
        0.8,
        "A request for nudity or sexual content, which the model scores low when it is phrased politely.",
    ),
    Rule(
        "GRAPHIC",
        _words(
            r"decapitat\w*",
            r"dismember\w*",
            r"disembowel\w*",
            r"mutilat\w*",
            r"gore",
            r"gory",
            r"gruesome",
            r"severed (?:head|hand|arm|leg|limb)s?",
            r"entrails",
            r"intestines",
            r"guts",
            r"maggots",
            r"rotting (?:corpse|body|flesh)",
            r"dead bod(?:y|ies)",
            r"mass graves?",
            r"skinned (?:human|man|woman|body|person)",
            r"human flesh",
            r"cannibal\w*",
            r"brains? (?:spilling|splattered|blown)",
            r"gouged",
            r"autopsy",
            r"covered in blood",
            r"bloody massacre",
            r"pool of blood",
            r"blood everywhere",
            r"bodies everywhere",
            r"(?:face|head|arm|leg|limbs?|skin) torn off",
            r"crushed skull",
            r"(?:blood|gore|brain) splatter",
            r"(?:body|person|man|woman|child) cut in half",
            r"dead (?:baby|babies|child|children|kids?)",
        ).search,
        0.7,
        "A request for graphic injury or death (the shocking category of unsafe-image benchmarks).",
    ),
)


class NegativeWords:
    """Words with a strongly negative valence in VADER's lexicon (vaderSentiment,
    MIT; 7,500 words rated by ten people each), loaded once."""

    THRESHOLD = -1.5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._words: frozenset[str] | None = None

    def words(self) -> frozenset[str]:
        with self._lock:
            if self._words is None:
                import vaderSentiment

                lexicon = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
                words = set()
                for line in lexicon.read_text(encoding="utf-8").splitlines():
                    token, valence, *_ = line.split("\t")
                    if token.isalpha() and float(valence) <= self.THRESHOLD:
                        words.add(token.lower())
                self._words = frozenset(words)
            return self._words


NEGATIVE_WORDS = NegativeWords()
_GROUP_MENTION = re.compile(rf"\b{_GROUP}\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;]+")
# Words of counter-speech: a sentence about prejudice is not itself prejudice.
_ABOUT_PREJUDICE = _words(
    r"racis\w*",
    r"discriminat\w*",
    r"prejudic\w*",
    r"bias\w*",
    r"stereotyp\w*",
    r"misconceptions?",
    r"bigot\w*",
    r"(?:hate|attacks|violence) against",
    r"blamed",
    r"portrayed",
    r"perceived",
    r"seen as",
    r"narratives?",
    r"myths?",
    r"(?:anti|homo|trans|islamo|xeno)phobi\w*",
    r"shame",
    r"stigma\w*",
    r"rights",
    r"equal\w*",
)


def speaks_about_prejudice(text: str) -> bool:
    """Counter-speech words: the text discusses prejudice rather than (only) expressing it."""
    return _ABOUT_PREJUDICE.search(text) is not None


def disparages_a_group(text: str) -> bool:
    """A sentence about a group of people with a strongly negative word in it:
    implicit hate (ToxiGen) that has no slur and that the model scores low."""
    negative = NEGATIVE_WORDS.words()
    for sentence in _SENTENCE_END.split(text):
        if (
            _GROUP_MENTION.search(sentence)
            and not _ABOUT_PREJUDICE.search(sentence)
            and any(word in negative for word in re.findall(r"[a-z]+", sentence.lower()))
        ):
            return True
    return False


# Tropes of xenophobia and ableism that carry no negative word of their own.
_TROPES = _words(
    r"go back to (?:their|your|his|her) (?:own )?countr(?:y|ies)",
    r"tak(?:e|es|ing) over (?:our|the) (?:country|countries|jobs|schools|neighbou?rhoods?)",
    r"(?:a|an|the) (?:huge |big )?drain on (?:society|the economy|our economy|the system)",
    r"live off (?:of )?(?:welfare|the government|taxpayers?|taxpayer money|our taxes)",
    r"(?:can ?not|can't|cannot|never) be trusted",
    r"will never integrate",
    r"not worth (?:the resources|keeping alive|saving)",
    r"(?:are|is) (?:a|an) (?:disease|plague|cancer|infestation)",
    r"(?:not|n't|never) (?:be )?(?:a )?real (?:americans?|people|humans?|men|women|citizens?)",
    r"should (?:all )?be (?:locked up|kept in jail|sent back|kept out)",
    r"(?:kept|locked) (?:in jail|up|out)",
    r"(?:build|need) (?:the |a )?walls? to keep them out",
)


def repeats_a_trope_about_a_group(text: str) -> bool:
    for sentence in _SENTENCE_END.split(text):
        if _TROPES.search(sentence) and (
            _GROUP_MENTION.search(sentence) or re.search(r"\bthey\b|\bthem\b", sentence, re.I)
        ):
            return not _ABOUT_PREJUDICE.search(sentence)
    return False


RULES += (
    Rule(
        "HATE_SPEECH",
        disparages_a_group,
        0.8,
        "A generalisation about a group of people with a strongly negative word (VADER valence <= -1.5).",
    ),
    Rule(
        "HATE_SPEECH",
        repeats_a_trope_about_a_group,
        0.8,
        "A xenophobic or ableist trope ('a drain on society', 'go back to their own country') about a group.",
    ),
)

if set(CUES) != set(TOXICITY_LABELS):
    raise RuntimeError("CUES must name each of Comprehend's toxicity labels once")
