"""A ready-made points model encoding common B2B lead-scoring practice.

Use it as a starting point, or to try leadqual on your own data before writing rules:

>>> from datetime import datetime, timezone
>>> from leadqual import Event, Lead
>>> model = default_model()
>>> lead = Lead("L-1", email="ana@acme.com",
...             attributes={"title": "VP Marketing", "employees": 400, "industry": "saas"})
>>> at = datetime(2026, 11, 20, tzinfo=timezone.utc)
>>> score = model.score(lead, [Event("L-1", "demo_request", at=at)],
...                     as_of=datetime(2026, 11, 24, tzinfo=timezone.utc))
>>> score.fit, score.grade, round(score.engagement, 1)
(35, 'A', 38.8)
>>> [c.rule for c in score.top(2)]
['demo-request', 'senior-title']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from leadqual.conditions import Attr, Prop
from leadqual.errors import ValidationError
from leadqual.scoring.decay import HalfLife, NoDecay
from leadqual.scoring.points import PointsModel
from leadqual.scoring.rules import EngagementRule, FitRule

__all__ = [
    "DEFAULT_COMPETITOR_DOMAINS",
    "SENIOR_TITLE_PATTERN",
    "TARGET_INDUSTRIES",
    "default_model",
]

#: Titles that usually hold buying authority: VPs, directors, heads of, C-level, founders.
SENIOR_TITLE_PATTERN = (
    r"(?i)\b(vp|svp|evp|vice president|director|head|chief|c[a-z]o|founder|president)\b"
)

#: Industries a B2B software vendor typically targets (compared exactly: store them lowercase).
TARGET_INDUSTRIES = (
    "software",
    "saas",
    "fintech",
    "it services",
    "cybersecurity",
    "martech",
    "e-commerce",
    "telecommunications",
)

#: Placeholder competitor domains; pass your own to :func:`default_model`.
DEFAULT_COMPETITOR_DOMAINS = ("rivalcrm.example", "leadscorer.example")


_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")


def _domain_pattern(domains: Iterable[object]) -> str:
    """A case-insensitive regex for an email at one of ``domains`` or a subdomain of it."""
    items = [domains] if isinstance(domains, str) else list(domains)
    cleaned: list[str] = []
    for i, domain in enumerate(items):
        name = domain.strip().strip("@.").lower() if isinstance(domain, str) else ""
        if not _DOMAIN.fullmatch(name):
            raise ValidationError(f"competitor_domains[{i}]", domain, "expected a domain name")
        cleaned.append(re.escape(name))
    if not cleaned:
        raise ValidationError("competitor_domains", items, "expected at least one domain")
    return rf"(?i)[@.]({'|'.join(cleaned)})$"


def default_model(
    *, competitor_domains: Iterable[str] | str = DEFAULT_COMPETITOR_DOMAINS
) -> PointsModel:
    """A :class:`~leadqual.PointsModel` for a typical B2B funnel.

    Engagement (half-life 90 days unless noted): content download +30 (3 at most),
    webinar +20 (group ``content``, capped at 100); email click +10 (50 at most) and
    unsubscribe -50 (never fades; group ``email``, capped at 50 either way); form
    submit +10, pricing page view +15 (once a day, last 30 days; group ``web``);
    LinkedIn message +5 (group ``social``); demo request +40 and pricing inquiry +35
    (group ``intent``). Fit: senior title +15, 50 to 5000 employees +10, target
    industry +10, ``.edu`` email -20, competitor email -100. Grades on fit: A from
    25, B from 15, C from 5, D below.

    >>> model = default_model(competitor_domains=["rival.example"])
    >>> len(model.fit), len(model.engagement), model.rule("competitor").points
    (5, 9, -100)
    """
    fit = [
        FitRule("senior-title", Attr("title").matches(SENIOR_TITLE_PATTERN), 15, group="persona"),
        FitRule("mid-market", Attr("employees").between(50, 5000), 10, group="company"),
        FitRule("target-industry", Attr("industry").is_in(TARGET_INDUSTRIES), 10, group="company"),
        FitRule("student-email", Attr("email").endswith(".edu"), -20, group="persona"),
        FitRule(
            "competitor",
            Attr("email").matches(_domain_pattern(competitor_domains)),
            -100,
            group="company",
        ),
    ]
    engagement = [
        EngagementRule("content-download", "content_download", 30, max_times=3, group="content"),
        EngagementRule("webinar-attended", "webinar_attended", 20, group="content"),
        EngagementRule("email-click", "email_click", 10, max_points=50, group="email"),
        EngagementRule(
            "email-unsubscribe", "email_unsubscribe", -50, decay=NoDecay(), group="email"
        ),
        EngagementRule("form-submit", "form_submit", 10, group="web"),
        EngagementRule(
            "pricing-page-view",
            "page_view",
            15,
            where=Prop("url").startswith("/pricing"),
            max_per_day=1,
            within=timedelta(days=30),
            group="web",
        ),
        EngagementRule("linkedin-message", "linkedin_message", 5, group="social"),
        EngagementRule("demo-request", "demo_request", 40, group="intent"),
        EngagementRule("pricing-inquiry", "pricing_inquiry", 35, group="intent"),
    ]
    return PointsModel(
        fit=fit,
        engagement=engagement,
        decay=HalfLife(days=90),
        group_caps={"content": 100, "email": 50},
        grades={"A": 25, "B": 15, "C": 5, "D": None},
    )
