"""Checks: one qualification question each (a budget? authority? a need? a timeline?),
answered PASS, FAIL or UNKNOWN, with the reason and the evidence looked at.

A check reads :class:`Facts`: the lead's profile and a summary of its events up to a
moment. Unknown (the fact is not known yet) is never turned into a failure.

>>> from datetime import datetime, timezone
>>> from leadqual import Lead
>>> from leadqual.frameworks import Budget, Facts
>>> now = datetime(2026, 11, 24, tzinfo=timezone.utc)
>>> lead = Lead("L-1", attributes={"budget": 25000})
>>> result = Budget(min_amount=10_000).evaluate(Facts(lead, now))
>>> print(result)
budget: pass (budget 25000 USD >= 10000 USD)
>>> dict(result.evidence)
{'budget': 25000, 'currency': 'USD'}
>>> print(Budget(min_amount=10_000).evaluate(Facts(Lead("L-2"), now)))
budget: unknown (budget not known)
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, tzinfo
from types import MappingProxyType
from typing import Any, overload

import attrs
from typing_extensions import deprecated

from leadqual._fields import (
    as_of_by_keyword,
    checked,
    instance_of,
    is_number,
    parse_iso,
    require_aware,
    require_count,
    require_number,
    require_text,
)
from leadqual.conditions import Condition, require_testable
from leadqual.errors import DuplicateEventError, ValidationError
from leadqual.events import Event
from leadqual.jsonvalues import EMPTY_MAP, MISSING, JsonMap, freeze_mapping, lookup, thaw
from leadqual.leads import Lead
from leadqual.typing import Check

__all__ = [
    "Activity",
    "AttributeCheck",
    "Authority",
    "Budget",
    "Check",
    "CheckResult",
    "ConditionCheck",
    "Facts",
    "FunctionCheck",
    "Need",
    "Timeline",
    "Verdict",
]

#: Words in a job title that hold buying authority, unless an ``Authority`` check says otherwise.
DEFAULT_AUTHORITY_TITLES = (
    "owner",
    "founder",
    "president",
    "chief",
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "cmo",
    "vp",
    "svp",
    "evp",
    "head",
    "director",
)

#: Values of the ``role`` attribute that hold buying authority.
DEFAULT_AUTHORITY_ROLES = ("decision_maker", "economic_buyer", "budget_holder")

#: Reasons and evidence show at most this many characters of a value.
_MAX_SHOWN = 60


class Verdict(enum.Enum):
    """The answer of a check or a framework: PASS, FAIL or UNKNOWN.

    UNKNOWN means the fact is not known yet; it is not a failure.

    >>> Verdict("pass") is Verdict.PASS, str(Verdict.UNKNOWN)
    (True, 'unknown')
    """

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


# --- small helpers ----------------------------------------------------------------------


def _label(inst: Any, field: str) -> str:
    """``"<check name>.<field>"`` for error messages (the class name while unnamed)."""
    name = getattr(inst, "name", None)
    if not isinstance(name, str) or not name.strip():
        name = type(inst).__name__
    return f"{name}.{field}"


def _dotted_name(where: str, value: Any) -> None:
    require_text(where, value)
    if any(not part for part in value.split(".")):
        raise ValidationError(where, value, "a dotted name has an empty part")


def _where(inst: Any, attribute: attrs.Attribute[Any]) -> str:
    return _label(inst, attribute.name)


_attribute_name = checked(_dotted_name, _where)
_description = checked(instance_of(str, "a string"), _where)


def _texts(where: str, value: Any) -> None:
    """Refuse what is not a list or tuple of non-empty strings (a lone string too)."""
    if not isinstance(value, (list, tuple)):
        raise ValidationError(where, value, "expected a list of strings")
    for i, item in enumerate(value):
        require_text(f"{where}[{i}]", item)


def _num(value: Any) -> str:
    """A number as people write it: ``25000``, ``2500.5``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _show(value: Any) -> str:
    """A short JSON rendering of a lead's value for a reason."""
    text = json.dumps(thaw(value), ensure_ascii=False)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return text


def _known(value: Any) -> Any:
    """``value`` for evidence: ``None`` when it is missing."""
    return None if value is MISSING else value


def _truth(value: Any) -> bool | None:
    """Whether a recorded fact says yes (``True``), no (``False``) or nothing (``None``).

    ``true``, a non-blank string, a non-empty list or mapping and a positive number say
    yes; ``false``, an empty list or mapping and a number <= 0 say no; a missing value,
    ``null`` and a blank string (what a CRM exports for an empty field) say nothing.
    """
    if value is MISSING or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return True if value.strip() else None
    if is_number(value):
        return bool(value > 0)
    return len(value) > 0  # a list (tuple) or a mapping


# --- what a check may look at -----------------------------------------------------------


@attrs.frozen
class Activity:
    """How often a lead did one type of thing, and when it did so first and last."""

    count: int = attrs.field(validator=checked(require_count, "count"))
    first: datetime = attrs.field(validator=checked(require_aware, "first"))
    last: datetime = attrs.field(validator=checked(require_aware, "last"))

    @classmethod
    def _trusted(cls, count: int, first: datetime, last: datetime) -> Activity:
        """Build without the checks, from values a caller already knows are sound."""
        activity = cls.__new__(cls)
        object.__setattr__(activity, "count", count)
        object.__setattr__(activity, "first", first)
        object.__setattr__(activity, "last", last)
        return activity

    def __attrs_post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationError("last", self.last, "expected a moment at or after first")


_lead = checked(instance_of(Lead, "a Lead"), "lead")


def _activity(value: Mapping[str, Activity] | None) -> Mapping[str, Activity]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ValidationError("activity", value, "expected a mapping of event type to Activity")
    data: dict[str, Activity] = {}
    for key in sorted(value, key=str):
        require_text("activity", key)
        item = value[key]
        if not isinstance(item, Activity):
            raise ValidationError(f"activity.{key}", item, "expected an Activity")
        data[key] = item
    return MappingProxyType(data)


@attrs.frozen
class Facts:
    """What a check may look at: a lead, a moment, and the lead's activity until then.

    ``activity`` maps each event type to an :class:`Activity` summarizing the lead's
    events of that type at or before ``as_of``. Build facts from events with
    :meth:`from_events`; a check never sees an event from after ``as_of``.
    """

    lead: Lead = attrs.field(validator=_lead)
    as_of: datetime = attrs.field(validator=checked(require_aware, "as_of"))
    activity: Mapping[str, Activity] = attrs.field(
        factory=lambda: MappingProxyType({}), converter=_activity, hash=False
    )

    @classmethod
    def _trusted(cls, lead: Lead, as_of: datetime, activity: Mapping[str, Activity]) -> Facts:
        """Build from a lead, an aware moment and activities a caller knows are sound
        (a copy of ``activity`` is kept, in key order)."""
        facts = cls.__new__(cls)
        object.__setattr__(facts, "lead", lead)
        object.__setattr__(facts, "as_of", as_of)
        object.__setattr__(
            facts, "activity", MappingProxyType({key: activity[key] for key in sorted(activity)})
        )
        return facts

    @overload
    @classmethod
    def from_events(cls, lead: Lead, events: Iterable[Event], /, *, as_of: datetime) -> Facts: ...

    @overload
    @classmethod
    @deprecated("pass as_of by keyword: Facts.from_events(lead, events, as_of=...)")
    def from_events(cls, lead: Lead, events: Iterable[Event], as_of: datetime, /) -> Facts: ...

    @classmethod
    def from_events(
        cls,
        lead: Lead,
        events: Iterable[Event],
        _as_of: datetime | None = None,
        /,
        *,
        as_of: datetime | None = None,
    ) -> Facts:
        """Summarize ``lead``'s ``events`` at or before ``as_of``.

        Events after ``as_of`` are ignored; an event id counts once (two *different*
        events sharing an id raise :class:`~leadqual.errors.DuplicateEventError`, as
        scoring does); an event of another lead raises
        :class:`~leadqual.errors.ValidationError`.

        >>> from datetime import datetime, timezone
        >>> from leadqual import Event, Lead
        >>> at = datetime(2026, 11, 2, tzinfo=timezone.utc)
        >>> demo = Event("L-1", "demo_request", at=at, id="e1")
        >>> facts = Facts.from_events(Lead("L-1"), [demo, demo],
        ...                           as_of=datetime(2026, 11, 24, tzinfo=timezone.utc))
        >>> facts.count("demo_request"), facts.count("page_view")
        (1, 0)
        """
        as_of = require_aware("as_of", as_of_by_keyword(_as_of, as_of, "Facts.from_events"))
        if not isinstance(lead, Lead):
            raise ValidationError("lead", lead, "expected a Lead")
        if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
            raise ValidationError("events", events, "expected a list of events")
        cutoff = as_of.timestamp()
        seen: dict[str, Event] = {}
        counts: dict[str, int] = {}
        firsts: dict[str, Event] = {}
        lasts: dict[str, Event] = {}
        for i, event in enumerate(events):
            if not isinstance(event, Event):
                raise ValidationError(f"events[{i}]", event, "expected an Event")
            if event.lead_id != lead.id:
                raise ValidationError(
                    f"events[{i}].lead_id", event.lead_id, f"expected events of lead {lead.id!r}"
                )
            if event.id is not None:
                previous = seen.get(event.id)
                if previous is not None:
                    if not previous.same_occurrence(event):
                        raise DuplicateEventError(event.id, previous, event)
                    continue
                seen[event.id] = event
            if event.timestamp > cutoff:
                continue
            kind = event.type
            counts[kind] = counts.get(kind, 0) + 1
            if kind not in firsts or event.timestamp < firsts[kind].timestamp:
                firsts[kind] = event
            if kind not in lasts or event.timestamp > lasts[kind].timestamp:
                lasts[kind] = event
        activity = {
            kind: Activity(count, firsts[kind].at, lasts[kind].at) for kind, count in counts.items()
        }
        return cls(lead, as_of, activity)

    def attribute(self, name: str) -> Any:
        """The lead's value for ``name`` (``"id"``, ``"email"``, an attribute, or a dotted
        path into one), or :data:`~leadqual.jsonvalues.MISSING` when absent."""
        return _read(self.lead, name)

    def count(self, event_type: str) -> int:
        """How many events of ``event_type`` the lead had at or before ``as_of``."""
        seen = self.activity.get(event_type)
        return 0 if seen is None else seen.count


def _read(lead: Lead, name: str) -> Any:
    """Read a field as conditions do: ``id`` and ``email`` from the lead, else attributes."""
    if name == "id":
        return lead.id
    if name == "email":
        return MISSING if lead.email is None else lead.email
    return lookup(lead.attributes, name)


# --- results ----------------------------------------------------------------------------


_verdict = checked(
    instance_of(Verdict, "a Verdict (Verdict.PASS, Verdict.FAIL or Verdict.UNKNOWN)"), "verdict"
)


def _evidence(value: Mapping[str, Any] | None) -> JsonMap:
    return freeze_mapping(value, "evidence")


@attrs.frozen
class CheckResult:
    """What one check concluded: its ``verdict``, the ``reason`` in words, and the
    ``evidence`` it looked at (a read-only mapping of JSON values).

    >>> r = CheckResult("budget", Verdict.FAIL, "budget 5000 USD < 10000 USD",
    ...                 {"budget": 5000, "currency": "USD"})
    >>> print(r)
    budget: fail (budget 5000 USD < 10000 USD)
    """

    name: str = attrs.field(validator=checked(require_text, "name"))
    verdict: Verdict = attrs.field(validator=_verdict)
    reason: str = attrs.field(validator=checked(require_text, "reason"))
    evidence: JsonMap = attrs.field(default=EMPTY_MAP, converter=_evidence)

    @classmethod
    def _trusted(
        cls, name: str, verdict: Verdict, reason: str, evidence: Mapping[str, Any]
    ) -> CheckResult:
        """Build without checking name, verdict and reason (a built-in check's own
        values); the evidence is still frozen."""
        result = cls.__new__(cls)
        object.__setattr__(result, "name", name)
        object.__setattr__(result, "verdict", verdict)
        object.__setattr__(result, "reason", reason)
        object.__setattr__(result, "evidence", freeze_mapping(evidence, "evidence"))
        return result

    def __str__(self) -> str:
        return f"{self.name}: {self.verdict} ({self.reason})"


# --- built-in checks --------------------------------------------------------------------


def _amount(where: str, value: Any) -> None:
    require_number(where, value)
    if value < 0:
        raise ValidationError(where, value, "expected a number >= 0 (or None)")


_min_amount = checked(_amount, _where, optional=True)
_currency = checked(require_text, _where)


@attrs.frozen
class Budget:
    """Does the lead have the money? Reads the ``attribute`` (``budget``) of the lead.

    The value is a number, in ``currency``, or a mapping ``{"amount": 25000, "currency":
    "EUR"}`` (a mapping without ``currency`` is taken to be in ``currency`` too).

    * PASS: the amount is at least ``min_amount`` (any amount above 0 when it is
      ``None``);
    * FAIL: the amount is below ``min_amount`` (or is 0 or less when it is ``None``);
    * UNKNOWN: the budget is missing, null, not a number, or in another currency:
      amounts are never converted, so a EUR budget says nothing about a USD minimum.

    Currencies compare ignoring case.

    >>> from datetime import datetime, timezone
    >>> from leadqual import Lead
    >>> facts = Facts(Lead("L-1", attributes={"budget": {"amount": 20000, "currency": "EUR"}}),
    ...               datetime(2026, 11, 24, tzinfo=timezone.utc))
    >>> print(Budget(min_amount=10_000, currency="USD").evaluate(facts))
    budget: unknown (budget 20000 EUR is not in USD (amounts are never converted))
    """

    min_amount: float | None = attrs.field(default=None, validator=_min_amount)
    currency: str = attrs.field(default="USD", validator=_currency)
    attribute: str = attrs.field(default="budget", validator=_attribute_name)
    name: str = attrs.field(default="budget", kw_only=True, validator=checked(require_text))

    def evaluate(self, facts: Facts) -> CheckResult:
        """Compare the lead's budget with ``min_amount``."""
        attr = self.attribute
        raw = facts.attribute(attr)
        want = self.currency.strip().upper()
        if raw is MISSING or raw is None:
            return self._result(Verdict.UNKNOWN, f"{attr} not known", {attr: None})
        amount: Any = raw
        currency: Any = want
        if isinstance(raw, Mapping):
            amount = raw.get("amount", MISSING)
            currency = raw.get("currency", want)
        if not is_number(amount) or not isinstance(currency, str) or not currency.strip():
            return self._result(
                Verdict.UNKNOWN,
                f"{attr} {_show(raw)} is not an amount: expected a number, "
                'or {"amount": number, "currency": code}',
                {attr: raw},
            )
        currency = currency.strip().upper()
        evidence = {attr: amount, "currency": currency}
        shown = f"{attr} {_num(amount)} {currency}"
        if currency != want:
            return self._result(
                Verdict.UNKNOWN,
                f"{shown} is not in {want} (amounts are never converted)",
                evidence,
            )
        if self.min_amount is None:
            if amount > 0:
                return self._result(Verdict.PASS, f"{shown} > 0 {want}", evidence)
            return self._result(Verdict.FAIL, f"{shown}: nothing to spend", evidence)
        minimum = f"{_num(self.min_amount)} {want}"
        if amount >= self.min_amount:
            return self._result(Verdict.PASS, f"{shown} >= {minimum}", evidence)
        return self._result(Verdict.FAIL, f"{shown} < {minimum}", evidence)

    def _result(self, verdict: Verdict, reason: str, evidence: Mapping[str, Any]) -> CheckResult:
        return CheckResult._trusted(self.name, verdict, reason, evidence)


def _strings(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _texts(_label(inst, attribute.name), value)


def _to_tuple(value: Sequence[str]) -> Sequence[str]:
    """Lists become tuples; anything else is left for the validator to judge."""
    return tuple(value) if isinstance(value, list) else value


def _role_key(role: str) -> str:
    """``"Decision Maker"``, ``"decision-maker"`` and ``"decision_maker"`` are one role."""
    return re.sub(r"[\s-]+", "_", role.strip()).casefold()


def _title_pattern(titles: tuple[str, ...]) -> re.Pattern[str] | None:
    if not titles:
        return None
    words = sorted({t.strip() for t in titles}, key=lambda t: (-len(t), t))
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@attrs.frozen
class Authority:
    """Can the lead sign? Reads the ``title`` and ``role`` attributes.

    * PASS: one of ``titles`` appears in the title as a whole word, ignoring case
      (``"VP Marketing"`` holds ``"vp"``, ``"Supervisor"`` does not), or the role is
      one of ``roles`` (ignoring case; spaces, hyphens and underscores alike). A role
      may also be a list of roles.
    * FAIL: a title or a role is known, and neither holds authority.
    * UNKNOWN: neither is known (missing, null or blank).

    >>> from datetime import datetime, timezone
    >>> from leadqual import Lead
    >>> now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    >>> print(Authority().evaluate(Facts(Lead("L-1", attributes={"title": "VP Marketing"}), now)))
    authority: pass (title "VP Marketing" holds "vp")
    >>> print(Authority().evaluate(Facts(Lead("L-2", attributes={"role": "Decision Maker"}), now)))
    authority: pass (role "Decision Maker" is decision_maker)
    """

    titles: Sequence[str] = attrs.field(
        default=DEFAULT_AUTHORITY_TITLES, converter=_to_tuple, validator=_strings
    )
    roles: Sequence[str] = attrs.field(
        default=DEFAULT_AUTHORITY_ROLES, converter=_to_tuple, validator=_strings
    )
    title_attribute: str = attrs.field(default="title", kw_only=True, validator=_attribute_name)
    role_attribute: str = attrs.field(default="role", kw_only=True, validator=_attribute_name)
    name: str = attrs.field(default="authority", kw_only=True, validator=checked(require_text))
    _pattern: re.Pattern[str] | None = attrs.field(init=False, eq=False, repr=False, hash=False)
    _role_keys: Mapping[str, str] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if not self.titles and not self.roles:
            raise ValidationError(
                _label(self, "titles"), self.titles, "give at least one title or one role"
            )
        object.__setattr__(self, "_pattern", _title_pattern(tuple(self.titles)))
        keys = {_role_key(role): role for role in reversed(self.roles)}
        object.__setattr__(self, "_role_keys", MappingProxyType(keys))

    def evaluate(self, facts: Facts) -> CheckResult:
        """Look for an authority title, then an authority role."""
        title_attr, role_attr = self.title_attribute, self.role_attribute
        title = facts.attribute(title_attr)
        role = facts.attribute(role_attr)
        evidence = {title_attr: _known(title), role_attr: _known(role)}
        # a dimension the check was not configured to read tells nothing either way
        title_known = self._pattern is not None and isinstance(title, str) and bool(title.strip())
        roles = _roles(role) if self._role_keys else ()
        if title_known and self._pattern is not None:
            match = self._pattern.search(title)
            if match is not None:
                word = self._word(match.group(0))
                return self._result(
                    Verdict.PASS, f"{title_attr} {_show(title)} holds {_show(word)}", evidence
                )
        for item in roles:
            held = self._role_keys.get(_role_key(item))
            if held is not None:
                return self._result(Verdict.PASS, f"{role_attr} {_show(item)} is {held}", evidence)
        if title_known or roles:
            why = []
            if title_known:
                why.append(f"{title_attr} {_show(title)} is not an authority title")
            if roles:
                shown = _show(role if isinstance(role, str) else list(roles))
                why.append(f"{role_attr} {shown} is not an authority role")
            return self._result(Verdict.FAIL, "; ".join(why), evidence)
        return self._result(Verdict.UNKNOWN, f"{title_attr} and {role_attr} not known", evidence)

    def _word(self, matched: str) -> str:
        folded = matched.casefold()
        for title in self.titles:
            if title.strip().casefold() == folded:
                return title.strip()
        return matched

    def _result(self, verdict: Verdict, reason: str, evidence: Mapping[str, Any]) -> CheckResult:
        return CheckResult._trusted(self.name, verdict, reason, evidence)


def _roles(value: Any) -> tuple[str, ...]:
    """The non-blank role strings in a role value (a string or a list of strings)."""
    items = value if isinstance(value, tuple) else (value,)
    return tuple(item for item in items if isinstance(item, str) and item.strip())


@attrs.frozen
class Need:
    """Does the lead have a problem to solve? Reads the pain points and the events.

    * PASS: the ``pain_points_attribute`` holds something (a non-empty list, a non-blank
      string, ``true`` or a positive number), or the lead had an event of one of the
      ``signals`` types (the reason says which, and how often);
    * FAIL: no signal event, and the attribute is explicitly empty: ``[]``, ``false``
      or ``0``;
    * UNKNOWN: no signal event, and the attribute is missing, null or a blank string.

    >>> from datetime import datetime, timezone
    >>> from leadqual import Event, Lead
    >>> at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    >>> facts = Facts.from_events(Lead("L-1"), [Event("L-1", "demo_request", at=at)],
    ...                           as_of=datetime(2026, 11, 24, tzinfo=timezone.utc))
    >>> print(Need(signals=("demo_request",)).evaluate(facts))
    need: pass (signal events seen: demo_request (1))
    """

    pain_points_attribute: str = attrs.field(default="pain_points", validator=_attribute_name)
    signals: Sequence[str] = attrs.field(default=(), converter=_to_tuple, validator=_strings)
    name: str = attrs.field(default="need", kw_only=True, validator=checked(require_text))

    def evaluate(self, facts: Facts) -> CheckResult:
        """Look at the pain points attribute and the signal events."""
        attr = self.pain_points_attribute
        value = facts.attribute(attr)
        stated = _truth(value)
        seen = {kind: facts.count(kind) for kind in self.signals if facts.count(kind)}
        evidence: dict[str, Any] = {attr: _known(value), "signals": seen}
        events = ", ".join(f"{kind} ({n})" for kind, n in seen.items())
        if stated:
            reason = f"{attr} {_show(value)}"
            if seen:
                reason += f"; signal events seen: {events}"
            return self._result(Verdict.PASS, reason, evidence)
        if seen:
            reason = f"signal events seen: {events}"
            if stated is False:
                reason += f" ({attr} is {_show(value)})"
            return self._result(Verdict.PASS, reason, evidence)
        if stated is False:
            reason = f"{attr} is {_show(value)}"
            if self.signals:
                reason += " and no signal event seen"
            return self._result(Verdict.FAIL, reason, evidence)
        reason = f"{attr} not known"
        if self.signals:
            reason += " and no signal event seen"
        return self._result(Verdict.UNKNOWN, reason, evidence)

    def _result(self, verdict: Verdict, reason: str, evidence: Mapping[str, Any]) -> CheckResult:
        return CheckResult._trusted(self.name, verdict, reason, evidence)


def _days(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            _label(inst, attribute.name), value, "expected a whole number of days >= 1"
        )


def _parse_date(value: Any, zone: tzinfo | None) -> date | None:
    """An ISO 8601 date or date-time string as a calendar date, else ``None``.

    A date-time with a UTC offset is first moved to ``zone`` (the zone of ``as_of``).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    moment = parse_iso(text)
    if moment is None:
        return None
    if moment.tzinfo is not None and zone is not None:
        try:
            moment = moment.astimezone(zone)
        except OverflowError:
            return None
    return moment.date()


@attrs.frozen
class Timeline:
    """Will the lead buy soon? Reads ``purchase_date`` or, failing that, ``timeline_days``.

    ``purchase_date`` is an ISO 8601 date (``"2026-12-15"``) or date-time string;
    ``timeline_days`` a number of days from ``facts.as_of`` (the moment of the
    evaluation: leadqual cannot know when the number was written down). A readable
    ``purchase_date`` decides; ``timeline_days`` is read only when it is missing,
    null or unreadable.

    * PASS: the purchase is due within ``days`` of ``as_of`` (today counts);
    * FAIL: it is due later;
    * UNKNOWN: neither attribute is usable, or the purchase date has already passed:
      a plan that lapsed without a purchase is stale, and sales should ask again.

    Calendar dates are compared in the time zone of ``as_of``.

    >>> from datetime import datetime, timezone
    >>> from leadqual import Lead
    >>> now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    >>> lead = Lead("L-1", attributes={"purchase_date": "2026-12-15"})
    >>> print(Timeline(days=90).evaluate(Facts(lead, now)))
    timeline: pass (purchase_date 2026-12-15 is in 21 days, within 90)
    """

    days: int = attrs.field(default=90, validator=_days)
    date_attribute: str = attrs.field(
        default="purchase_date", kw_only=True, validator=_attribute_name
    )
    days_attribute: str = attrs.field(
        default="timeline_days", kw_only=True, validator=_attribute_name
    )
    name: str = attrs.field(default="timeline", kw_only=True, validator=checked(require_text))

    def evaluate(self, facts: Facts) -> CheckResult:
        """How many days until the purchase, compared with ``days``."""
        date_attr, days_attr = self.date_attribute, self.days_attribute
        raw_date = facts.attribute(date_attr)
        raw_days = facts.attribute(days_attr)
        evidence: dict[str, Any] = {
            date_attr: _known(raw_date),
            days_attr: _known(raw_days),
            "as_of": facts.as_of.date().isoformat(),
        }
        notes: list[str] = []
        if raw_date is not MISSING and raw_date is not None:
            due = _parse_date(raw_date, facts.as_of.tzinfo)
            if due is not None:
                until = (due - facts.as_of.date()).days
                evidence["days_until"] = until
                shown = f"{date_attr} {due.isoformat()}"
                if until < 0:
                    return self._result(
                        Verdict.UNKNOWN,
                        f"{shown} passed {-until} days before {facts.as_of.date().isoformat()}"
                        " (stale: ask again)",
                        evidence,
                    )
                shown = f"{shown} is in {until} days"
                return self._within(
                    until, f"{shown}, within {self.days}", f"{shown}, beyond {self.days}", evidence
                )
            notes.append(f"{date_attr} {_show(raw_date)} is not a readable ISO 8601 date")
        if raw_days is not MISSING and raw_days is not None:
            if is_number(raw_days) and raw_days >= 0:
                evidence["days_until"] = raw_days
                shown = f"{days_attr} {_num(raw_days)}"
                return self._within(
                    raw_days, f"{shown} <= {self.days}", f"{shown} > {self.days}", evidence
                )
            notes.append(f"{days_attr} {_show(raw_days)} is not a number of days >= 0")
        if not notes:
            notes.append(f"{date_attr} and {days_attr} not known")
        return self._result(Verdict.UNKNOWN, "; ".join(notes), evidence)

    def _within(
        self, until: float, passed: str, failed: str, evidence: Mapping[str, Any]
    ) -> CheckResult:
        if until <= self.days:
            return self._result(Verdict.PASS, passed, evidence)
        return self._result(Verdict.FAIL, failed, evidence)

    def _result(self, verdict: Verdict, reason: str, evidence: Mapping[str, Any]) -> CheckResult:
        return CheckResult._trusted(self.name, verdict, reason, evidence)


def _attr_fields(condition: Condition) -> Iterator[str]:
    seen: set[str] = set()
    for _, field in condition.fields():
        if field not in seen:
            seen.add(field)
            yield field


@attrs.frozen
class ConditionCheck:
    """A check from a leadqual condition on the lead (``Attr(...)``).

    * PASS: the condition holds;
    * FAIL: it does not;
    * UNKNOWN: the answer depends on a field that is missing or null. A condition
      the known fields already decide is decided: ``a | b`` passes when ``a`` holds
      and ``b`` is missing, ``a & b`` fails when ``a`` does not hold.

    The condition may read the lead only: one that reads an event property
    (``Prop(...)``) is refused. ``description``, when given, starts the reason
    (``"mid-market: yes (employees between 50 and 5000)"``).

    >>> from datetime import datetime, timezone
    >>> from leadqual import Attr, Lead
    >>> check = ConditionCheck("mid-market", Attr("employees").between(50, 5000))
    >>> now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    >>> print(check.evaluate(Facts(Lead("L-1", attributes={"employees": 400}), now)))
    mid-market: pass (employees between 50 and 5000 holds)
    >>> print(check.evaluate(Facts(Lead("L-2"), now)))
    mid-market: unknown (employees between 50 and 5000: employees not known)
    """

    name: str = attrs.field(validator=checked(require_text))
    condition: Condition = attrs.field()
    description: str = attrs.field(default="", validator=_description)

    @condition.validator
    def _check_condition(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        where = _label(self, "condition")
        if not isinstance(value, Condition):
            raise ValidationError(where, value, "expected a condition (Attr(...) ...)")
        require_testable(where, value)
        for source, field in value.fields():
            if source != "attr":
                raise ValidationError(
                    where,
                    str(value),
                    f"a check reads the lead only, but this reads the event property {field!r}",
                )

    def evaluate(self, facts: Facts) -> CheckResult:
        """Test the condition on the lead, in three-valued logic."""
        lead = facts.lead
        fields = tuple(_attr_fields(self.condition))
        evidence = {field: _known(_read(lead, field)) for field in fields}
        answer = self.condition.decide(lead)
        if answer is None:
            names = ", ".join(f for f in fields if evidence[f] is None)
            verdict, outcome = Verdict.UNKNOWN, f"{names} not known"
        elif answer:
            verdict, outcome = Verdict.PASS, "holds"
        else:
            verdict, outcome = Verdict.FAIL, "does not hold"
        if self.description:
            word = {Verdict.PASS: "yes", Verdict.FAIL: "no"}.get(verdict, outcome)
            reason = f"{self.description}: {word} ({self.condition})"
        elif verdict is Verdict.UNKNOWN:
            reason = f"{self.condition}: {outcome}"
        else:
            reason = f"{self.condition} {outcome}"
        return CheckResult._trusted(self.name, verdict, reason, evidence)


@attrs.frozen
class AttributeCheck:
    """A yes / no / not-yet-known fact recorded in one attribute (MEDDIC's ``champion``).

    * PASS: ``true``, a non-blank string, a non-empty list or mapping, a positive number;
    * FAIL: ``false``, an empty list or mapping, a number <= 0;
    * UNKNOWN: missing, null, or a blank string (what a CRM exports for an empty field).

    ``description``, when given, starts the reason.

    >>> from datetime import datetime, timezone
    >>> from leadqual import Lead
    >>> now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    >>> check = AttributeCheck("champion", "champion", "an insider who sells for us")
    >>> print(check.evaluate(Facts(Lead("L-1", attributes={"champion": "Ana (Head of Ops)"}), now)))
    champion: pass (an insider who sells for us: champion "Ana (Head of Ops)")
    >>> print(check.evaluate(Facts(Lead("L-2"), now)))
    champion: unknown (an insider who sells for us: champion not known)
    """

    name: str = attrs.field(validator=checked(require_text))
    attribute: str = attrs.field(validator=_attribute_name)
    description: str = attrs.field(default="", validator=_description)

    def evaluate(self, facts: Facts) -> CheckResult:
        """Read the attribute as a yes, a no, or nothing known."""
        attr = self.attribute
        value = facts.attribute(attr)
        evidence = {attr: _known(value)}
        prefix = f"{self.description}: " if self.description else ""
        answer = _truth(value)
        if answer is None:
            return CheckResult._trusted(
                self.name, Verdict.UNKNOWN, f"{prefix}{attr} not known", evidence
            )
        if answer:
            return CheckResult._trusted(
                self.name, Verdict.PASS, f"{prefix}{attr} {_show(value)}", evidence
            )
        return CheckResult._trusted(
            self.name, Verdict.FAIL, f"{prefix}{attr} is {_show(value)}", evidence
        )


@attrs.frozen
class FunctionCheck:
    """Any callable ``function(facts) -> CheckResult`` as a check.

    The result must be a :class:`CheckResult` named like the check; anything else
    raises :class:`~leadqual.errors.ValidationError` naming ``<name>.function``.
    Exceptions the function raises propagate unchanged. A function check cannot be
    written to a rule file: prefer the data checks when one fits.

    >>> from datetime import datetime, timezone
    >>> from leadqual import Lead
    >>> def engaged(facts):
    ...     n = facts.count("email_click")
    ...     verdict = Verdict.PASS if n >= 3 else Verdict.UNKNOWN
    ...     return CheckResult("engaged", verdict, f"{n} email clicks", {"email_click": n})
    >>> check = FunctionCheck("engaged", engaged)
    >>> print(check.evaluate(Facts(Lead("L-1"), datetime(2026, 11, 24, tzinfo=timezone.utc))))
    engaged: unknown (0 email clicks)
    """

    name: str = attrs.field(validator=checked(require_text))
    function: Callable[[Facts], CheckResult] = attrs.field()

    @function.validator
    def _check_function(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not callable(value):
            raise ValidationError(
                _label(self, "function"), value, "expected a callable taking Facts"
            )

    def evaluate(self, facts: Facts) -> CheckResult:
        """Call the function, and check what it returns."""
        result: Any = self.function(facts)
        where = _label(self, "function")
        if not isinstance(result, CheckResult):
            raise ValidationError(where, result, "expected the function to return a CheckResult")
        if result.name != self.name:
            raise ValidationError(
                where,
                result,
                f"expected the function to return a CheckResult named {self.name!r}, "
                f"not {result.name!r}",
            )
        return result
