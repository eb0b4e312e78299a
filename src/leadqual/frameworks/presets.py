"""Ready-made frameworks: BANT, CHAMP, ANUM, MEDDIC, MEDDPICC, GPCTBA/C&I and FAINT.

Each function returns an ordinary :class:`~leadqual.frameworks.Framework` built from
the built-in checks, so a preset can be inspected, extended with
:meth:`~leadqual.frameworks.Framework.with_checks`, and evaluated like any other.
Every preset takes ``policy`` (default :class:`~leadqual.frameworks.AllPass`),
``name``, and ``attributes``: a mapping from the attribute names the preset reads by
default to the names your CRM uses.

>>> from leadqual.frameworks import BANT, AtLeast
>>> bant = BANT(min_budget=10_000, policy=AtLeast(3), attributes={"title": "job_title"})
>>> bant.check_names(), bant.policy
(('budget', 'authority', 'need', 'timeline'), AtLeast(k=3))
>>> bant.checks[1].title_attribute
'job_title'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from leadqual._fields import require_text
from leadqual.conditions import Attr
from leadqual.errors import ValidationError
from leadqual.frameworks.checks import (
    DEFAULT_AUTHORITY_ROLES,
    DEFAULT_AUTHORITY_TITLES,
    AttributeCheck,
    Authority,
    Budget,
    Check,
    ConditionCheck,
    Need,
    Timeline,
)
from leadqual.frameworks.framework import AllPass, Framework, Policy

__all__ = [
    "ANUM",
    "BANT",
    "CHAMP",
    "DEFAULT_AUTHORITY_ROLES",
    "DEFAULT_AUTHORITY_TITLES",
    "DEFAULT_INTEREST_SIGNALS",
    "DEFAULT_NEED_SIGNALS",
    "DEFAULT_TIMELINE_DAYS",
    "FAINT",
    "GPCTBA_CI",
    "MEDDIC",
    "MEDDPICC",
]

#: Event types that show a need in BANT, CHAMP, ANUM and FAINT unless told otherwise:
#: a lead asking for a demo, for sales or for prices has a problem it wants solved.
DEFAULT_NEED_SIGNALS = ("demo_request", "contact_sales", "pricing_inquiry")

#: Event types that show FAINT's interest unless told otherwise.
DEFAULT_INTEREST_SIGNALS = (
    "content_download",
    "webinar_attended",
    "demo_request",
    "contact_sales",
    "pricing_inquiry",
)

#: The purchase window of the timeline checks when a preset gets ``timeline_days=None``.
DEFAULT_TIMELINE_DAYS = 90

_DEFAULT_POLICY = AllPass()


class _Names:
    """The attribute names a preset reads, with the caller's renamings applied."""

    __slots__ = ("_names",)

    def __init__(
        self, defaults: Sequence[str], renamed: Mapping[str, str] | None, framework: str
    ) -> None:
        names = {name: name for name in defaults}
        if renamed is not None:
            if not isinstance(renamed, Mapping):
                raise ValidationError(
                    "attributes", renamed, "expected a mapping of default name to your name"
                )
            for key, value in renamed.items():
                if key not in names:
                    known = ", ".join(sorted(names))
                    raise ValidationError(
                        f"attributes.{key}",
                        value,
                        f"{framework} reads no attribute {key!r} (it reads: {known})",
                    )
                names[key] = require_text(f"attributes.{key}", value)
        self._names = names

    def __getitem__(self, default: str) -> str:
        return self._names[default]


def _days(timeline_days: int | None) -> int:
    return DEFAULT_TIMELINE_DAYS if timeline_days is None else timeline_days


_BANT_ATTRIBUTES = ("budget", "title", "role", "pain_points", "purchase_date", "timeline_days")


def _budget(name: str, names: _Names, min_budget: float | None, currency: str) -> Budget:
    return Budget(min_budget, currency, names["budget"], name=name)


def _authority(names: _Names, titles: Sequence[str], roles: Sequence[str]) -> Authority:
    return Authority(
        titles,
        roles,
        title_attribute=names["title"],
        role_attribute=names["role"],
    )


def _need(name: str, names: _Names, signals: Sequence[str]) -> Need:
    return Need(names["pain_points"], signals, name=name)


def _timeline(name: str, names: _Names, timeline_days: int | None) -> Timeline:
    return Timeline(
        _days(timeline_days),
        date_attribute=names["purchase_date"],
        days_attribute=names["timeline_days"],
        name=name,
    )


def BANT(
    *,
    min_budget: float | None = None,
    currency: str = "USD",
    authority_titles: Sequence[str] = DEFAULT_AUTHORITY_TITLES,
    authority_roles: Sequence[str] = DEFAULT_AUTHORITY_ROLES,
    need_signals: Sequence[str] = DEFAULT_NEED_SIGNALS,
    timeline_days: int | None = None,
    policy: Policy = _DEFAULT_POLICY,
    attributes: Mapping[str, str] | None = None,
    name: str = "BANT",
) -> Framework:
    """Budget, Authority, Need, Timeline.

    Checks, in order: ``budget`` (:class:`~leadqual.frameworks.Budget`: ``min_budget``
    in ``currency``), ``authority`` (:class:`~leadqual.frameworks.Authority`),
    ``need`` (:class:`~leadqual.frameworks.Need`: pain points, or a
    ``need_signals`` event) and ``timeline`` (:class:`~leadqual.frameworks.Timeline`:
    a purchase within ``timeline_days``, :data:`DEFAULT_TIMELINE_DAYS` when ``None``).
    Attributes read: ``budget``, ``title``, ``role``, ``pain_points``,
    ``purchase_date``, ``timeline_days``. ``policy=AtLeast(3)`` gives the classic
    three-of-four rule.
    """
    names = _Names(_BANT_ATTRIBUTES, attributes, name)
    checks: list[Check] = [
        _budget("budget", names, min_budget, currency),
        _authority(names, authority_titles, authority_roles),
        _need("need", names, need_signals),
        _timeline("timeline", names, timeline_days),
    ]
    return Framework(name, checks, policy)


def CHAMP(
    *,
    min_budget: float | None = None,
    currency: str = "USD",
    authority_titles: Sequence[str] = DEFAULT_AUTHORITY_TITLES,
    authority_roles: Sequence[str] = DEFAULT_AUTHORITY_ROLES,
    need_signals: Sequence[str] = DEFAULT_NEED_SIGNALS,
    timeline_days: int | None = None,
    policy: Policy = _DEFAULT_POLICY,
    attributes: Mapping[str, str] | None = None,
    name: str = "CHAMP",
) -> Framework:
    """CHallenges, Authority, Money, Prioritization: BANT reordered, need first.

    Checks: ``challenges`` (a :class:`~leadqual.frameworks.Need` on ``pain_points``
    and ``need_signals``), ``authority``, ``money`` (a
    :class:`~leadqual.frameworks.Budget`) and ``prioritization`` (a
    :class:`~leadqual.frameworks.Timeline`: a purchase planned within
    ``timeline_days`` is what makes the project a priority). Attributes read: as
    :func:`BANT`.
    """
    names = _Names(_BANT_ATTRIBUTES, attributes, name)
    checks: list[Check] = [
        _need("challenges", names, need_signals),
        _authority(names, authority_titles, authority_roles),
        _budget("money", names, min_budget, currency),
        _timeline("prioritization", names, timeline_days),
    ]
    return Framework(name, checks, policy)


def ANUM(
    *,
    min_budget: float | None = None,
    currency: str = "USD",
    authority_titles: Sequence[str] = DEFAULT_AUTHORITY_TITLES,
    authority_roles: Sequence[str] = DEFAULT_AUTHORITY_ROLES,
    need_signals: Sequence[str] = DEFAULT_NEED_SIGNALS,
    timeline_days: int | None = None,
    policy: Policy = _DEFAULT_POLICY,
    attributes: Mapping[str, str] | None = None,
    name: str = "ANUM",
) -> Framework:
    """Authority, Need, Urgency, Money: BANT reordered, authority first.

    Checks: ``authority``, ``need``, ``urgency`` (a
    :class:`~leadqual.frameworks.Timeline`) and ``money`` (a
    :class:`~leadqual.frameworks.Budget`). Attributes read: as :func:`BANT`.
    """
    names = _Names(_BANT_ATTRIBUTES, attributes, name)
    checks: list[Check] = [
        _authority(names, authority_titles, authority_roles),
        _need("need", names, need_signals),
        _timeline("urgency", names, timeline_days),
        _budget("money", names, min_budget, currency),
    ]
    return Framework(name, checks, policy)


_MEDDIC_ATTRIBUTES = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "pain_points",
    "champion",
)
_MEDDPICC_ATTRIBUTES = (*_MEDDIC_ATTRIBUTES, "paper_process", "competition")


def _meddic_checks(names: _Names, need_signals: Sequence[str]) -> dict[str, Check]:
    return {
        "metrics": AttributeCheck(
            "metrics", names["metrics"], "the measurable gain the buyer expects"
        ),
        "economic_buyer": AttributeCheck(
            "economic_buyer", names["economic_buyer"], "who controls the budget"
        ),
        "decision_criteria": AttributeCheck(
            "decision_criteria", names["decision_criteria"], "how the buyer will choose"
        ),
        "decision_process": AttributeCheck(
            "decision_process", names["decision_process"], "the steps to a signed decision"
        ),
        "identify_pain": _need("identify_pain", names, need_signals),
        "champion": AttributeCheck("champion", names["champion"], "an insider who sells for us"),
    }


def MEDDIC(
    *,
    need_signals: Sequence[str] = (),
    policy: Policy = _DEFAULT_POLICY,
    attributes: Mapping[str, str] | None = None,
    name: str = "MEDDIC",
) -> Framework:
    """Metrics, Economic buyer, Decision criteria, Decision process, Identify pain,
    Champion.

    Checks: ``metrics``, ``economic_buyer``, ``decision_criteria``,
    ``decision_process`` and ``champion`` are
    :class:`~leadqual.frameworks.AttributeCheck` s on attributes of the same names
    (a non-empty value passes: a name, a list, ``true``); ``identify_pain`` is a
    :class:`~leadqual.frameworks.Need` on ``pain_points`` (and ``need_signals``
    events, none by default: MEDDIC's pain is what discovery wrote down).
    """
    names = _Names(_MEDDIC_ATTRIBUTES, attributes, name)
    return Framework(name, list(_meddic_checks(names, need_signals).values()), policy)


def MEDDPICC(
    *,
    need_signals: Sequence[str] = (),
    policy: Policy = _DEFAULT_POLICY,
    attributes: Mapping[str, str] | None = None,
    name: str = "MEDDPICC",
) -> Framework:
    """Metrics, Economic buyer, Decision criteria, Decision process, Paper process,
    Identify pain, Champion, Competition.

    :func:`MEDDIC` plus ``paper_process`` (an
    :class:`~leadqual.frameworks.AttributeCheck`: the procurement and legal steps are
    known) and ``competition`` (a :class:`~leadqual.frameworks.ConditionCheck`
    ``Attr("competition").exists()``: it passes once the competitive situation is
    recorded, even as an empty list, and is otherwise unknown: knowing there is no
    competitor is as good as knowing who it is).
    """
    names = _Names(_MEDDPICC_ATTRIBUTES, attributes, name)
    meddic = _meddic_checks(names, need_signals)
    checks: list[Check] = [
        meddic["metrics"],
        meddic["economic_buyer"],
        meddic["decision_criteria"],
        meddic["decision_process"],
        AttributeCheck("paper_process", names["paper_process"], "the procurement and legal steps"),
        meddic["identify_pain"],
        meddic["champion"],
        ConditionCheck(
            "competition",
            Attr(names["competition"]).exists(),
            "the competitive situation is recorded",
        ),
    ]
    return Framework(name, checks, policy)


_GPCTBA_ATTRIBUTES = (
    "goals",
    "plans",
    *_BANT_ATTRIBUTES,
    "consequences",
    "implications",
)


def GPCTBA_CI(
    *,
    min_budget: float | None = None,
    currency: str = "USD",
    authority_titles: Sequence[str] = DEFAULT_AUTHORITY_TITLES,
    authority_roles: Sequence[str] = DEFAULT_AUTHORITY_ROLES,
    need_signals: Sequence[str] = (),
    timeline_days: int | None = None,
    policy: Policy = _DEFAULT_POLICY,
    attributes: Mapping[str, str] | None = None,
    name: str = "GPCTBA/C&I",
) -> Framework:
    """Goals, Plans, Challenges, Timeline, Budget, Authority, negative Consequences and
    positive Implications.

    Checks: ``goals``, ``plans`` (:class:`~leadqual.frameworks.AttributeCheck` s),
    ``challenges`` (a :class:`~leadqual.frameworks.Need` on ``pain_points``, with no
    signal events by default), ``timeline``, ``budget``, ``authority``, and
    ``consequences`` (what happens if nothing changes) and ``implications`` (what
    success brings), two attribute checks since sales records them separately.
    Attributes read: as :func:`BANT`, plus ``goals``, ``plans``, ``consequences`` and
    ``implications``.
    """
    names = _Names(_GPCTBA_ATTRIBUTES, attributes, name)
    checks: list[Check] = [
        AttributeCheck("goals", names["goals"], "the results the lead wants"),
        AttributeCheck("plans", names["plans"], "how it means to reach them"),
        _need("challenges", names, need_signals),
        _timeline("timeline", names, timeline_days),
        _budget("budget", names, min_budget, currency),
        _authority(names, authority_titles, authority_roles),
        AttributeCheck("consequences", names["consequences"], "what happens if nothing changes"),
        AttributeCheck("implications", names["implications"], "what success brings"),
    ]
    return Framework(name, checks, policy)


_FAINT_ATTRIBUTES = (*_BANT_ATTRIBUTES, "interest")


def FAINT(
    *,
    min_budget: float | None = None,
    currency: str = "USD",
    authority_titles: Sequence[str] = DEFAULT_AUTHORITY_TITLES,
    authority_roles: Sequence[str] = DEFAULT_AUTHORITY_ROLES,
    interest_signals: Sequence[str] = DEFAULT_INTEREST_SIGNALS,
    need_signals: Sequence[str] = DEFAULT_NEED_SIGNALS,
    timeline_days: int | None = None,
    policy: Policy = _DEFAULT_POLICY,
    attributes: Mapping[str, str] | None = None,
    name: str = "FAINT",
) -> Framework:
    """Funds, Authority, Interest, Need, Timing.

    Checks: ``funds`` (a :class:`~leadqual.frameworks.Budget`), ``authority``,
    ``interest`` (a :class:`~leadqual.frameworks.Need` on the ``interest`` attribute
    and the ``interest_signals`` events: downloads, webinars, demo and pricing
    requests), ``need`` and ``timing`` (a :class:`~leadqual.frameworks.Timeline`).
    Attributes read: as :func:`BANT`, plus ``interest``.
    """
    names = _Names(_FAINT_ATTRIBUTES, attributes, name)
    checks: list[Check] = [
        _budget("funds", names, min_budget, currency),
        _authority(names, authority_titles, authority_roles),
        Need(names["interest"], interest_signals, name="interest"),
        _need("need", names, need_signals),
        _timeline("timing", names, timeline_days),
    ]
    return Framework(name, checks, policy)
