"""Exceptions raised by leadqual: all of them, in one tree.

Every exception derives from :class:`LeadqualError`, so an application can catch
everything leadqual raises with one ``except`` clause. Subclasses carry the facts
as attributes, not only as text, so a caller can react to them programmatically::

    LeadqualError
    ├── ValidationError (also a ValueError): field, value, problem
    │   ├── DuplicateEventError: first, second
    │   ├── RowError: source, line, column, row
    │   ├── CodecError: an object with no plain-data form (a custom decay, ...)
    │   └── LeakError: name (a calibration input that is the outcome in disguise)
    ├── RuleSetError: problems (every Problem of a rule file, with its path)
    ├── InvalidTransition: current, target, allowed
    ├── ListenerError: errors (each failing listener call)
    ├── SnapshotError: a snapshot that cannot be restored
    ├── GoldenError: a golden case file that cannot be read
    ├── NotLowerable: reasons (why a rule set cannot run on the batch backend)
    └── MissingExtra (also an ImportError): an optional extra is not installed

    UnknownLeadsWarning (a UserWarning): events of leads nobody gave, counted

>>> from leadqual.errors import ValidationError
>>> err = ValidationError("at", "2026-11-02", "expected a timezone-aware datetime")
>>> print(err)
at: expected a timezone-aware datetime, got '2026-11-02'
>>> err.field, err.value
('at', '2026-11-02')
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

__all__ = [
    "CodecError",
    "DuplicateEventError",
    "GoldenError",
    "InvalidTransition",
    "LeadqualError",
    "LeakError",
    "ListenerError",
    "MissingExtra",
    "NotLowerable",
    "Problem",
    "RowError",
    "RuleSetError",
    "SnapshotError",
    "UnknownLeadsWarning",
    "ValidationError",
]

_MAX_VALUE_REPR = 80


def _short_repr(value: Any) -> str:
    # a moment as people write it, not as Python's repr spells it
    text = repr(value.isoformat()) if isinstance(value, (datetime, date)) else repr(value)
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 3] + "..."
    return text


class LeadqualError(Exception):
    """Base class of every error leadqual raises."""


class ValidationError(LeadqualError, ValueError):
    """A value given to leadqual is not acceptable.

    ``field`` names where the value was found (``"at"``, ``"properties.utm.source"``,
    ``"engagement[2].points"``), ``value`` is the offending value itself and ``problem``
    says what was expected. It is also a :class:`ValueError`, so code that already
    catches ``ValueError`` keeps working.
    """

    field: str
    value: Any
    problem: str

    def __init__(self, field: str, value: Any, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(field, value, problem)

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}, got {_short_repr(self.value)}"


class DuplicateEventError(ValidationError):
    """Two different events carry the same ``id``.

    Applying the *same* event twice is harmless (it counts once, even when the copy
    writes its time with another UTC offset); two events that share an id but differ
    in content mean the upstream data is inconsistent, and leadqual refuses to guess
    which one is right. A points model checks ids among the
    events whose type one of its rules counts: an event no rule looks at cannot change
    a score, so it is neither stored nor checked (which keeps the check independent of
    the order events arrive in). ``first`` and ``second`` are the two events.
    """

    def __init__(self, event_id: str, first: Any, second: Any) -> None:
        self.first = first
        self.second = second
        super().__init__(
            "id",
            event_id,
            f"two different events share this id (first {first!r}, then {second!r})",
        )

    def differences(self) -> list[str]:
        """The fields in which the two events differ."""
        names = ("lead_id", "type", "at", "properties", "source")
        return [n for n in names if getattr(self.first, n, None) != getattr(self.second, n, None)]

    def __str__(self) -> str:
        differ = ", ".join(self.differences()) or "content"
        return (
            f"id: two different events share the id {self.value!r} (they differ in {differ}): "
            f"{_short_repr(self.first)} and {_short_repr(self.second)}"
        )


class LeakError(ValidationError):
    """An input of a calibration separates won from lost leads almost perfectly on its own
    (``value`` is that AUC): it is the outcome, or something known only once the outcome
    was (a call's length, a "closed" flag), and points fitted to it would not hold on new
    leads. ``name`` is the attribute or event type."""

    def __init__(self, field: str, auc: float, name: str) -> None:
        self.name = name
        super().__init__(
            field,
            auc,
            f"{name!r} alone separates won from lost leads (AUC {auc:.3f}): it looks like "
            "the outcome, or something known only once the outcome was; leave it out "
            "(exclude=[...], --exclude) or, if it is known before the decision, pass "
            "allow_leaks=True (--allow-leaks)",
        )


class MissingExtra(LeadqualError, ImportError):
    """An optional extra is not installed; the message names it and how to install it
    (``pip install 'leadqual[analytics]'``)."""


class InvalidTransition(LeadqualError):
    """A move the stage machine does not allow from the lead's current stage.

    ``current`` and ``target`` are stage names; ``allowed`` lists the stages the lead
    may move to from ``current`` (a guard that does not hold is explained in ``why``).
    """

    def __init__(
        self, current: str, target: str, allowed: tuple[str, ...] | list[str], why: str = ""
    ) -> None:
        self.current = current
        self.target = target
        self.allowed = tuple(allowed)
        self.why = why
        super().__init__(current, target, self.allowed, why)

    def __str__(self) -> str:
        allowed = ", ".join(self.allowed) if self.allowed else "none"
        text = f"cannot move a lead from {self.current} to {self.target}"
        if self.why:
            text += f": {self.why}"
        return f"{text} (allowed from {self.current}: {allowed})"


class ListenerError(LeadqualError):
    """One or more ``on_transition`` listeners raised.

    The lead's state already holds the transitions (listeners run after it is
    updated), every listener was called, and ``errors`` holds what each failing one
    raised, with the record it was handling.
    """

    def __init__(self, errors: list[tuple[Any, BaseException]]) -> None:
        self.errors = tuple(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        first_record, first_error = self.errors[0]
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return (
            f"an on_transition listener raised {type(first_error).__name__}: {first_error} "
            f"while handling {first_record}{more}; the lead's state is up to date"
        )


class Problem:
    """One problem found in a rule set: where (``path``), what, and the value found."""

    __slots__ = ("path", "problem", "value")

    def __init__(self, path: str, problem: str, value: Any = None) -> None:
        self.path = path
        self.problem = problem
        self.value = value

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.path}: {self.problem}"
        return f"{self.path}: {self.problem}, got {_short_repr(self.value)}"

    def __repr__(self) -> str:
        return f"Problem({self.path!r}, {self.problem!r}, {self.value!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.path, self.problem, self.value) == (other.path, other.problem, other.value)

    def __hash__(self) -> int:
        return hash((self.path, self.problem))


class RuleSetError(LeadqualError):
    """A rule set (a file, or plain data) has problems: all of them are in ``problems``.

    >>> err = RuleSetError([Problem("scoring.engagement[3].points", "expected a number", "ten")],
    ...                    source="rules.toml")
    >>> print(err)
    rules.toml: 1 problem
      scoring.engagement[3].points: expected a number, got 'ten'
    """

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.problems, source)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem" + ("" if n == 1 else "s")
        if self.source:
            head = f"{self.source}: {head}"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class RowError(ValidationError):
    """One row of a data file is malformed: where it is, and what is wrong with it.

    ``source`` names the file (``"<stream>"`` for a file object without a name),
    ``line`` is the 1-based line number in that file where the row starts, and
    ``field``, ``value`` and ``problem`` are as in :class:`ValidationError`.

    >>> err = RowError("events.csv", 12, "at", "yesterday",
    ...                "expected an ISO 8601 timestamp with a UTC offset")
    >>> print(err)
    events.csv:12: at: expected an ISO 8601 timestamp with a UTC offset, got 'yesterday'
    >>> err.source, err.line, err.field
    ('events.csv', 12, 'at')
    """

    source: str
    line: int

    def __init__(self, source: str, line: int, field: str, value: Any, problem: str) -> None:
        self.source = source
        self.line = line
        super().__init__(field, value, problem)
        self.args = (source, line, field, value, problem)

    def __str__(self) -> str:
        if self.field == "line":  # the row as a whole: its place says it all
            return f"{self.source}:{self.line}: {self.problem}, got {_short_repr(self.value)}"
        return f"{self.source}:{self.line}: {super().__str__()}"


class CodecError(ValidationError):
    """An object that has no plain-data form (a custom decay, a ``FunctionCheck``)."""


class SnapshotError(LeadqualError):
    """A snapshot that cannot be restored (unreadable, another format, other rules)."""


class GoldenError(LeadqualError):
    """A golden case file that cannot be read: says which file, and where in it."""


class NotLowerable(LeadqualError):
    """A rule set (or model) that cannot run on the batch backend; ``reasons`` names
    each place, as :func:`leadqual.batch.lowerable` lists them."""

    def __init__(self, reasons: list[str] | tuple[str, ...]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(self.reasons)

    def __str__(self) -> str:
        lines = "\n".join(f"  - {reason}" for reason in self.reasons)
        return f"this cannot run on the batch backend (use the Python engine):\n{lines}"


class UnknownLeadsWarning(UserWarning):
    """Events of leads that were not given were left out: ``events`` of them in all,
    ``examples`` a few of their lead ids."""

    def __init__(self, events: int, examples: tuple[str, ...]) -> None:
        self.events = events
        self.examples = tuple(examples)
        super().__init__(events, self.examples)

    def __str__(self) -> str:
        shown = ", ".join(repr(e) for e in self.examples)
        return f"{self.events} event(s) of leads not given were left out (such as {shown})"
