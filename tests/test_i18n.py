"""The language catalogues: every language has every word of English, and the
rule that texts a user wrote are shown as written."""

from __future__ import annotations

import re
import string

import pytest

from healthscore import presets
from healthscore._i18n import LANGUAGES, catalogue
from healthscore.bands import default_alerts, default_bands
from healthscore.exceptions import InputError

WORD_TABLES = [name for name in catalogue("en").tables if name not in ("format", "phrases", "labels")]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_word_of_english(lang: str) -> None:
    english, other = catalogue("en").tables, catalogue(lang).tables
    for table in WORD_TABLES:
        missing = sorted(set(english[table]) - set(other.get(table, {})))
        assert not missing, f"{lang}.toml [{table}] lacks {missing}"
        extra = sorted(set(other.get(table, {})) - set(english[table]))
        assert not extra, f"{lang}.toml [{table}] has keys English lacks: {extra}"
        for key, text in english[table].items():
            if isinstance(text, str):  # the same placeholders, or a filled text breaks
                assert _fields(other[table][key]) == _fields(text), (lang, table, key)


def test_japanese_has_the_articles_words_for_every_default_text() -> None:
    ja = catalogue("ja")
    assert [ja.band(b.name) for b in default_bands().bands] == ["グリーン", "イエロー", "オレンジ", "レッド"]
    assert [ja.alert(a.name) for a in default_alerts().levels] == ["健全", "警告", "リスク中", "重大"]
    for band in default_bands().bands:
        assert ja.phrase(band.description) != band.description
        for step in band.playbook:
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja.phrase(step)), step
    for level in default_alerts().levels:
        assert ja.phrase(level.response) != level.response
    for model in (presets.three_dimension(), presets.dear()):
        for name in (*model.dimension_names, *model.metric_names):
            assert ja.label(name) != name or name.isupper() or name in ("nps", "csat", "roi"), name


def test_texts_a_user_wrote_are_shown_as_written() -> None:
    ja = catalogue("ja")
    assert ja.band("amber") == "amber"
    assert ja.alert("<script>") == "<script>"
    assert ja.phrase("Call the champion") == "Call the champion"
    assert ja.label("logins_q3") == "logins_q3"


def test_formats() -> None:
    en, ja = catalogue("en"), catalogue("ja")
    assert en.date("2026-01-05") == "Jan 5, 2026"
    assert ja.date("2026-01-05") == "2026年1月5日"
    assert ja.instant("2026-01-05T07:30:00Z") == "2026年1月5日 07:30 UTC"
    assert en.number(-1234.567, 2) == "-1,234.57"
    assert en.number(float("nan")) == "-"
    assert en.percent(0.473) == "47%"
    with pytest.raises(KeyError, match=r"no text 'ui\.nothing'"):
        en.text("ui.nothing")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(InputError, match="lang must be one of en, ja, got 'fr'"):
        catalogue("fr")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_tree_words_are_the_catalogues_tree_table(lang: str) -> None:
    from healthscore._html import tree_words

    assert "tree" in WORD_TABLES  # so every language has every tree word of English
    assert tree_words(lang) == catalogue(lang).tables["tree"]
    assert tree_words(lang)["n_children"].format(n=3)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_csm_words_are_the_catalogues_csm_table(lang: str) -> None:
    from healthscore._html import csm_words

    assert "csm" in WORD_TABLES  # so every language has every CSM word of English
    words = csm_words(lang)
    assert words == catalogue(lang).tables["csm"]
    assert words["csm_more_optimistic"].format(steps="x")  # a placeholder, filled
    assert isinstance(words, dict)
    words["csm_read"] = "changed"  # a copy: the catalogue stays as it is
    assert csm_words(lang)["csm_read"] == catalogue(lang).tables["csm"]["csm_read"] != "changed"
