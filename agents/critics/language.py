"""The language critic: a text is written in the run's language, judged from its script and its words (no model).

Input: a text candidate and the run's language (`Candidate.language`). Output: a verdict.
Both directions, from the text alone, in microseconds:
- script share: the share of the text's letters (after NFKC, so full-width Ａ counts as Latin) written in the
  language's script. Japanese: kana and kanji, at least MIN_SHARE["ja"] (Japanese messages carry Latin words such
  as LINE or OK), and some kana when there are kanji (kanji alone read as Chinese). English and other languages
  written in Latin letters: Latin, at least MIN_SHARE["latin"]; so an English text in a `--language ja` run and a
  Japanese one in an `en` run are both rejected.
- word share (English): among the words of the text that are function words of English or of one of six other
  languages written in Latin letters (French, Spanish, German, Italian, Portuguese, Dutch; short lists, no word
  shared with English), a text with at least two foreign ones and more foreign than English ones reads as that
  language (real English has about four function words in ten, a French text next to no English ones).
Other languages are accepted with a "not judged" note. The bounds were checked against every GoEmotions-6
comment and few-shot message (tests/agents/test_language_critic.py). Disable it with
`--no-critic language`.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from personagen.agents.context import LANGUAGES
from personagen.agents.critics.registry import Candidate, accept, critic, reject
from personagen.personas.models import Stage, Verdict
from personagen.personas.text_units import base_language, words

NAME = "language"
MIN_SHARE = {"ja": 0.6, "latin": 0.9}
MIN_FOREIGN = 2
LATIN_LANGUAGES = frozenset("en de fr es it pt nl sv da no nb fi pl cs sk sl hr ro hu tr id ms vi tl sw".split())
FUNCTION_WORDS = frozenset("""
a about after again all am an and any are as at be because been before being but by can cant could did didnt do
does doesnt dont down for from get got had has have he her here him his how i if im in into is isnt it its ive just
know like me more most my no not now of off on one only or our out over really she so some still than that thats
the their them then there these they this those to today too up us very was wasnt we were what when where which
while who why will with would yes you your youre ill id youll hes shes were theyre lets gonna wanna
""".split())
FOREIGN_WORDS = {name: frozenset(listed.split()) - FUNCTION_WORDS for name, listed in {
    "French": "je tu il elle nous vous ils elles le les une de des du et est suis mais avec pour dans sur pas ne que "
              "qui ce cette mon mes ton ta tes très aussi",
    "Spanish": "yo él ella nosotros ellos los las una unos de y es soy estoy pero para por en muy que qué mi mis tu "
               "porque también hoy",
    "German": "ich du er sie wir der das den dem ein eine und ist bin aber mit für auf nicht sehr mein meine dein "
              "heute auch",
    "Italian": "io lui lei noi voi il gli una è sono non che molto mio mia oggi anche",
    "Portuguese": "eu ele ela nós eles os um uma é sou estou mas com não muito meu minha hoje também",
    "Dutch": "ik jij hij zij wij het een en ben maar voor niet heel mijn vandaag ook",
}.items()}


@cache
def script_of(ch: str) -> str:
    """'kana', 'kanji', 'latin' or 'other' for one letter."""
    name = unicodedata.name(ch, "")
    if name.startswith(("HIRAGANA", "KATAKANA")) or ch == "ー":
        return "kana"
    if name.startswith("CJK") or ch in "々〆":
        return "kanji"
    return "latin" if name.startswith("LATIN") else "other"


def script_counts(text: str) -> dict[str, int]:
    """How many of the text's letters (NFKC-normalised) are in each script."""
    counts = {"kana": 0, "kanji": 0, "latin": 0, "other": 0}
    if text.isascii():  # NFKC leaves ASCII as it is, and every ASCII letter is Latin
        counts["latin"] = sum(map(str.isalpha, text))
        return counts
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isalpha() or ch == "ー":
            counts[script_of(ch)] += 1
    return counts


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def judge_japanese(counts: dict[str, int]) -> Verdict:
    letters = sum(counts.values())
    japanese = share(counts["kana"] + counts["kanji"], letters)
    if japanese < MIN_SHARE["ja"]:
        found = "English or another language in Latin letters" if counts["latin"] >= counts["other"] else \
            "another script"
        return reject(f"{japanese:.0%} of its letters are Japanese (kana, kanji), expected at least "
                      f"{MIN_SHARE['ja']:.0%}: it reads as {found}; write the message in Japanese", score=japanese)
    if counts["kanji"] >= 4 and counts["kana"] == 0:
        return reject("kanji without any kana: it reads as Chinese; write the message in Japanese", score=0.5)
    return accept(f"{japanese:.0%} of its letters are Japanese", score=japanese)


def judge_latin(text: str, language: str, counts: dict[str, int]) -> Verdict:
    letters = sum(counts.values())
    latin = share(counts["latin"], letters)
    if latin < MIN_SHARE["latin"]:
        found = "Japanese" if counts["kana"] or counts["kanji"] else "another script"
        return reject(f"{latin:.0%} of its letters are Latin, expected at least {MIN_SHARE['latin']:.0%}: it reads "
                      f"as {found}; write the message in {LANGUAGES.get(language, language)}", score=latin)
    if language == "en" and (foreign := foreign_language(words(text, language))):
        return reject(f"it reads as {foreign}: more of its function words are {foreign} than English; write the "
                      "message in English", score=0.5)
    return accept(f"{latin:.0%} of its letters are Latin", score=latin)


def foreign_language(units: list[str]) -> str | None:
    """The language whose function words outnumber the English ones among `units` (at least MIN_FOREIGN), or None."""
    english = sum(u.replace("'", "") in FUNCTION_WORDS for u in units)
    hits = {name: sum(u in found for u in units) for name, found in FOREIGN_WORDS.items()}
    name = max(hits, key=hits.__getitem__)
    return name if hits[name] >= MIN_FOREIGN and hits[name] > english else None


def judge_language(text: str, language: str | None) -> Verdict:
    """The verdict on `text` for a run whose texts are in `language` (see the module doc)."""
    lang = base_language(language)
    counts = script_counts(text)
    if not sum(counts.values()):
        return reject("the text has no letters", score=0.0)
    if lang == "ja":
        return judge_japanese(counts)
    if lang in LATIN_LANGUAGES:
        return judge_latin(text, lang, counts)
    return accept(f"not judged: no script rule for '{lang}'")


@critic(NAME, stage=Stage.EXPRESSION,
        description="Text is in the run's language: share of letters in its script (Japanese kana and kanji, or "
                    "Latin) and, for English, function words of English against other languages'; no model.")
def language(c: Candidate) -> Verdict:
    return judge_language(c.expression.text if c.expression else "", c.language)
