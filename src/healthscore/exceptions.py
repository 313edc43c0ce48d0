"""Errors raised by healthscore.

Every error derives from :class:`HealthScoreError`, itself a :class:`ValueError`,
so a calling service can catch one class. Messages name the field (or the row,
column or config path), the rule that was broken, the value that was received
and, where one helps, a hint.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FitError",
    "HealthScoreError",
    "InputError",
    "MissingMetricError",
    "UnknownCategoryError",
    "ValidationError",
]


class HealthScoreError(ValueError):
    """Base class of every error healthscore raises on purpose."""


class ValidationError(HealthScoreError):
    """A model object was built with a value that breaks one of its rules.

    Attributes:
        field: Name of the offending field (``"weight"``, ``"points"``, ...).
        rule: The rule, in words (``"must be >= 0"``).
        value: The value that was received.
    """

    def __init__(self, field: str, rule: str, value: object, hint: str = "") -> None:
        self.field = field
        self.rule = rule
        self.value = value
        self.hint = hint
        msg = f"{field} {rule}, got {value!r}"
        if hint:
            msg = f"{msg} ({hint})"
        super().__init__(msg)

    @property
    def bare_message(self) -> str:
        """The message without the field name, for use behind a config path."""
        msg = f"{self.field.rsplit('.', 1)[-1]} {self.rule}, got {self.value!r}"
        return f"{msg} ({self.hint})" if self.hint else msg


class ConfigError(HealthScoreError):
    """A configuration file or mapping could not be turned into a model.

    Attributes:
        problems: One line per problem, each ending in ``@ $.path.into.file``.
        source: Where the configuration came from (a file path), if known.
    """

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        if len(self.problems) == 1:
            msg = f"invalid model configuration{where}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            msg = f"invalid model configuration{where} ({len(self.problems)} problems):\n{lines}"
        super().__init__(msg)


class InputError(HealthScoreError):
    """Input data (a record, a column, a CSV cell) breaks a rule.

    Attributes:
        column: The column or metric name, if known.
        row: The zero-based row index (or file line, see ``line``), if known.
        value: The offending value, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        row: int | None = None,
        value: object = None,
    ) -> None:
        self.column = column
        self.row = row
        self.value = value
        super().__init__(message)


class FitError(HealthScoreError):
    """A model could not be fitted to the data: the solver did not converge, no
    metric or column predicts the outcome, or no banding keeps churn rates ordered.

    The data itself is valid (bad data raises :class:`InputError`); the message
    says what could not be fitted and which setting to change.

    Attributes:
        what: What was being fitted, on which rows (``"the re-weighting fit on
            4000 accounts"``).
        hint: What the caller can change so that the fit succeeds.
    """

    def __init__(self, message: str, *, what: str = "", hint: str = "") -> None:
        self.what = what
        self.hint = hint
        super().__init__(f"{message}; {hint}" if hint else message)


class MissingMetricError(InputError):
    """A metric had no value and the model's missing-data policy is ``"fail"``."""


class UnknownCategoryError(InputError):
    """A category scorer received a label that is not in its table."""
