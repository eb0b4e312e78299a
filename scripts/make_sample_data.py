"""Write leadqual's bundled sample data: ~200 leads, their events and outcomes, as JSONL.

The output is deterministic (seeded with ``random.Random(2026)``, stdlib only), so running
this again reproduces the committed files byte for byte::

    python scripts/make_sample_data.py            # rewrite src/leadqual/data/sample_*.jsonl
    python scripts/make_sample_data.py --check    # exit 1 if the committed files are stale
    python scripts/make_sample_data.py --out DIR  # write somewhere else

Most leads are cold (a few page views, an email open), some are warm (clicks, a download,
a webinar), a few are hot (pricing pages, a demo request). A handful are students or
competitors, and some profiles miss attributes, as CRM data does. The outcomes (won or
lost deals) come from a documented process, :func:`outcomes`, in which fit and engagement
really raise the chance to win.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from random import Random
from typing import Any

from leadqual import Event, Lead, Outcome
from leadqual.outcomes import Result

SEED = 2026
N_LEADS = 200
START = datetime(2026, 8, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 20, tzinfo=timezone.utc)  # exclusive
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "leadqual" / "data"
LEADS_FILE = "sample_leads.jsonl"
EVENTS_FILE = "sample_events.jsonl"
OUTCOMES_FILE = "sample_outcomes.jsonl"

FIRST_NAMES = (
    "Ana", "Ben", "Chloé", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kofi",
    "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoë", "Björn", "Camila", "Dmitri", "Emma", "Farah", "Luca",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Becker", "Chen", "Dubois", "Eriksson", "Fischer", "García", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopez", "Müller", "Nakamura", "Okafor", "Patel", "Rossi", "Silva",
    "Tanaka", "Novak", "Walsh", "Yilmaz", "Zhang", "O'Brien", "Nguyen", "Schmidt", "Khan",
)  # fmt: skip
COMPANY_WORDS = (
    "North", "Blue", "Bright", "Iron", "Silver", "Clear", "Summit", "Harbor", "Pine",
    "Vector", "Quanta", "Atlas", "Nimbus", "Cedar", "Orbit", "Lumen", "Cobalt", "Delta",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Labs", "Systems", "Analytics", "Works", "Logistics", "Health", "Capital", "Retail",
    "Foods", "Cloud", "Dynamics", "Partners", "Software", "Media",
)  # fmt: skip
UNIVERSITIES = ("lakeside-state.edu", "northfield.edu", "riverton-college.edu")
COMPETITORS = ("rivalcrm.example", "leadscorer.example")

SENIOR_TITLES = (
    "VP Marketing", "VP of Sales", "Director of Demand Generation", "Head of Growth",
    "Chief Revenue Officer", "CMO", "CTO", "Founder & CEO", "Senior Director, IT",
    "Head of Revenue Operations", "SVP Engineering", "Marketing Director",
)  # fmt: skip
OTHER_TITLES = (
    "Marketing Manager", "Marketing Operations Specialist", "Sales Development Rep",
    "Account Executive", "Software Engineer", "Data Analyst", "Product Manager",
    "Operations Analyst", "Procurement Specialist", "Content Marketer", "IT Administrator",
    "Consultant", "Office Manager", "Growth Marketer", "Revenue Operations Manager",
)  # fmt: skip
STUDENT_TITLES = ("Student", "MBA Candidate", "Graduate Researcher")

TARGET_INDUSTRIES = ("software", "saas", "fintech", "it services", "cybersecurity", "martech")
OTHER_INDUSTRIES = (
    "manufacturing", "healthcare", "retail", "financial services", "logistics", "media",
    "consulting", "real estate", "government", "hospitality",
)  # fmt: skip
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "CA", "AU", "IN", "BR", "ES", "SE", "JP", "SG")
COUNTRY_WEIGHTS = (30, 12, 10, 6, 5, 6, 4, 7, 4, 4, 3, 3, 2)
LEAD_SOURCES = (
    "organic", "paid_search", "webinar", "referral", "event", "linkedin_ads", "content_syndication",
)  # fmt: skip
PAIN_POINTS = (
    "too many unqualified leads", "slow hand-off to sales", "no lead scoring",
    "spreadsheet reporting", "low email engagement",
)  # fmt: skip
EMPLOYEE_BANDS = ((1, 10), (11, 49), (50, 199), (200, 999), (1000, 5000), (5001, 50000))
EMPLOYEE_WEIGHTS = (14, 20, 22, 20, 14, 10)

OTHER_PAGES = (
    "/", "/product", "/features/scoring", "/features/integrations", "/docs/getting-started",
    "/blog/what-is-an-mql", "/blog/bant-in-2026", "/blog/lead-scoring-models",
    "/case-studies/northwind", "/about", "/careers", "/security",
)  # fmt: skip
PRICING_PAGES = ("/pricing", "/pricing", "/pricing/enterprise", "/pricing?plan=team")
ASSETS = (
    "ebook-lead-scoring-101", "guide-mql-to-sql", "report-b2b-benchmarks-2026",
    "template-bant-scorecard", "checklist-crm-hygiene",
)  # fmt: skip
CAMPAIGNS = ("nurture-aug", "newsletter-sep", "webinar-invite-oct", "product-update-nov")
WEBINARS = ("scoring-that-sales-trusts", "from-mql-to-revenue")
UTM_SOURCES = ("google", "linkedin", "newsletter", "g2")


def _moment(rng: Random, lo: datetime, hi: datetime) -> datetime:
    """A time in ``[lo, hi)``, mostly in working hours (UTC), to the second."""
    lo = max(lo, START)
    hi = min(hi, END)
    days = max(1, (hi - lo).days)
    for _ in range(20):
        day = lo.replace(hour=0, minute=0, second=0) + timedelta(days=rng.randrange(days + 1))
        hour = rng.choice((7, 8, 9, 9, 10, 10, 11, 12, 13, 14, 14, 15, 16, 17, 19, 21))
        moment = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
        if lo <= moment < hi:
            return moment
    return lo + timedelta(seconds=int((hi - lo).total_seconds() * rng.random()))


def _lead(rng: Random, number: int, segment: str) -> Lead:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = f"{first}.{last}".lower().replace("'", "")
    local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode("ascii")
    attributes: dict[str, Any] = {"first_name": first, "last_name": last}
    if segment == "student":
        email = f"{local}@{rng.choice(UNIVERSITIES)}"
        attributes |= {"title": rng.choice(STUDENT_TITLES), "industry": "education"}
    else:
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        if segment == "competitor":
            domain = rng.choice(COMPETITORS)
            company = domain.split(".")[0].capitalize()
        else:
            domain = company.lower().replace(" ", "") + ".example"
        email = f"{local}@{domain}"
        senior_share = {"hot": 0.55, "warm": 0.35}.get(segment, 0.2)
        titles = SENIOR_TITLES if rng.random() < senior_share else OTHER_TITLES
        target_share = {"hot": 0.7, "warm": 0.55}.get(segment, 0.35)
        industries = TARGET_INDUSTRIES if rng.random() < target_share else OTHER_INDUSTRIES
        low, high = rng.choices(EMPLOYEE_BANDS, EMPLOYEE_WEIGHTS)[0]
        attributes |= {
            "company": company,
            "title": rng.choice(titles),
            "industry": rng.choice(industries),
            "employees": rng.randint(low, high),
        }
    attributes["country"] = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
    attributes["lead_source"] = rng.choice(LEAD_SOURCES)
    if segment in ("hot", "warm") and rng.random() < 0.45:
        attributes["budget"] = rng.randrange(5, 120) * 1000
    if rng.random() < 0.15:
        attributes["pain_points"] = sorted(rng.sample(PAIN_POINTS, rng.randint(1, 2)))
    # Real CRM data has holes: drop a few attributes, and now and then the email.
    for name in ("title", "industry", "employees", "country"):
        if name in attributes and rng.random() < 0.08:
            del attributes[name]
    if segment not in ("student", "competitor") and rng.random() < 0.03:
        return Lead(f"L-{number:04d}", attributes=attributes)
    return Lead(f"L-{number:04d}", email=email, attributes=attributes)


Raw = tuple[datetime, str, str, dict[str, Any], str]


def _events(rng: Random, lead_id: str, segment: str) -> list[Raw]:
    """The events of one lead, unsorted and without ids."""
    out: list[Raw] = []
    if segment == "hot":
        first = START + timedelta(days=rng.randint(0, 80))
        last = END - timedelta(days=rng.randint(0, 12))
    elif segment == "warm":
        first = START + timedelta(days=rng.randint(0, 90))
        last = min(END, first + timedelta(days=rng.randint(20, 80)))
    else:
        first = START + timedelta(days=rng.randint(0, 105))
        last = min(END, first + timedelta(days=rng.randint(1, 60)))
    late = first + (last - first) * 0.7  # buying signals come at the end of a journey

    def add(kind: str, props: dict[str, Any], source: str, lo: datetime = first) -> None:
        out.append((_moment(rng, lo, last), lead_id, kind, props, source))

    def count(table: dict[str, tuple[int, int]]) -> int:
        low, high = table.get(segment, table["cold"])
        return rng.randint(low, high)

    for _ in range(count({"hot": (5, 12), "warm": (3, 9), "cold": (0, 4)})):
        page: dict[str, Any] = {"url": rng.choice(OTHER_PAGES)}
        if rng.random() < 0.25:
            page["utm"] = {"source": rng.choice(UTM_SOURCES), "medium": "cpc"}
        add("page_view", page, "web")
    pricing_views = count({"hot": (2, 6), "warm": (0, 2), "competitor": (3, 8), "cold": (0, 0)})
    if segment == "cold" and rng.random() < 0.08:
        pricing_views = 1
    for _ in range(pricing_views):
        add("page_view", {"url": rng.choice(PRICING_PAGES)}, "web", late)
    for _ in range(count({"hot": (1, 5), "warm": (1, 4), "cold": (0, 3)})):
        add("email_open", {"campaign": rng.choice(CAMPAIGNS)}, "email")
    clicks = count({"hot": (1, 4), "warm": (0, 3), "cold": (0, 0)})
    if segment == "cold" and rng.random() < 0.12:
        clicks = 1
    for _ in range(clicks):
        add("email_click", {"campaign": rng.choice(CAMPAIGNS), "url": "/blog"}, "email")
    downloads = count({"hot": (1, 4), "warm": (0, 2), "student": (1, 4), "cold": (0, 0)})
    if segment == "cold" and rng.random() < 0.1:
        downloads = 1
    for _ in range(downloads):
        add("content_download", {"asset": rng.choice(ASSETS), "format": "pdf"}, "web")
    if rng.random() < {"hot": 0.5, "warm": 0.3}.get(segment, 0.03):
        webinar = {"webinar": rng.choice(WEBINARS), "minutes": rng.randint(10, 60)}
        add("webinar_attended", webinar, "webinar")
    if rng.random() < {"hot": 0.8, "warm": 0.4}.get(segment, 0.05):
        add("form_submit", {"form": rng.choice(("newsletter", "contact", "gated-content"))}, "web")
    if rng.random() < {"hot": 0.35, "warm": 0.2}.get(segment, 0.02):
        add("linkedin_message", {"direction": "inbound"}, "linkedin")
    if segment == "hot":
        if rng.random() < 0.85:
            add("demo_request", {"form": "demo", "seats": rng.choice((5, 10, 25, 50))}, "web", late)
        if rng.random() < 0.5:
            add("pricing_inquiry", {"plan": rng.choice(("team", "enterprise"))}, "crm", late)
    if rng.random() < {"hot": 0.0, "warm": 0.05}.get(segment, 0.08):
        add("email_unsubscribe", {"campaign": rng.choice(CAMPAIGNS)}, "email")
    return out


def generate(seed: int = SEED) -> tuple[list[Lead], list[Event]]:
    """The sample leads and their events (sorted by time, ids ``evt-00001`` on)."""
    rng = Random(seed)
    segments = ("cold", "warm", "hot", "student", "competitor")
    weights = (64, 24, 7, 4, 1)
    leads: list[Lead] = []
    raw: list[Raw] = []
    for number in range(1, N_LEADS + 1):
        segment = rng.choices(segments, weights)[0]
        lead = _lead(rng, number, segment)
        leads.append(lead)
        raw.extend(_events(rng, lead.id, segment))
    raw.sort(key=lambda r: (r[0], r[1], r[2], json.dumps(r[3], sort_keys=True)))
    events = [
        Event(lead_id, kind, at=at, properties=props, id=f"evt-{i:05d}", source=source)
        for i, (at, lead_id, kind, props, source) in enumerate(raw, start=1)
    ]
    return leads, events


def _logit_of_winning(lead: Lead, before: Sequence[Event]) -> float:
    """The log-odds that ``lead`` wins, from its profile and the events ``before`` its close.

    Fit and engagement really raise the chance: seniority, a target industry, a mid-market
    company, intent events (demo request, pricing inquiry), content and email clicks; a
    student or competitor address and an unsubscribe lower it. A budget of 10,000 or more
    helps, and so does being in the US, which the default rules do not look at (a real
    history always holds drivers a rule set misses).
    """
    attrs_ = lead.attributes
    kinds = [e.type for e in before]
    employees = attrs_.get("employees")
    email = lead.email or ""
    logit = -3.2
    logit += 1.2 * (attrs_.get("title") in SENIOR_TITLES)
    logit += 0.8 * (attrs_.get("industry") in TARGET_INDUSTRIES)
    logit += 0.6 * (isinstance(employees, int) and 50 <= employees <= 5000)
    logit += 1.0 * ("demo_request" in kinds) + 0.7 * ("pricing_inquiry" in kinds)
    logit += 0.3 * min(kinds.count("content_download"), 3)
    logit += 0.15 * min(kinds.count("email_click"), 4)
    logit += 0.4 * ("webinar_attended" in kinds)
    logit -= 0.8 * ("email_unsubscribe" in kinds)
    logit -= 1.5 * email.endswith(".edu") + 3.0 * any(c in email for c in COMPETITORS)
    budget = attrs_.get("budget")
    logit += 0.5 * (isinstance(budget, int) and budget >= 10_000)
    logit += 0.3 * (attrs_.get("country") == "US")
    return logit


def outcomes(leads: Sequence[Lead], events: Sequence[Event], seed: int = SEED) -> list[Outcome]:
    """Won or lost deals for most leads that did something, drawn from
    :func:`_logit_of_winning` with their own seeded generator (so the leads and events stay
    as they are).

    A lead with at least two events is worked by sales; three in four of those have closed:
    the close comes 2 to 20 days after the event three quarters into its history, and only
    the events before it count towards the chance of winning (later events are the
    follow-up a back-test must not see). Won deals carry a value (the budget when known).
    """
    rng = Random(seed + 1)
    by_lead: dict[str, list[Event]] = {}
    for event in events:
        by_lead.setdefault(event.lead_id, []).append(event)
    out: list[Outcome] = []
    for lead in leads:
        history = by_lead.get(lead.id, [])
        if len(history) < 2:
            continue
        pivot = history[max(0, -(-3 * len(history) // 4) - 1)]
        close = pivot.at + timedelta(days=rng.randint(2, 20), hours=rng.randint(0, 23))
        if rng.random() < 0.25:
            continue  # still open
        before = [e for e in history if e.at < close]
        chance = 1 / (1 + math.exp(-_logit_of_winning(lead, before)))
        if rng.random() < chance:
            budget = lead.attributes.get("budget")
            value = budget if isinstance(budget, int) else rng.randrange(5, 80) * 1000
            out.append(Outcome(lead.id, Result.WON, at=close, value=value))
        else:
            out.append(Outcome(lead.id, Result.LOST, at=close))
    return out


def _jsonl(items: Sequence[Lead | Event | Outcome]) -> str:
    return "".join(json.dumps(item.to_dict(), ensure_ascii=False) + "\n" for item in items)


def main(argv: list[str] | None = None) -> int:
    """Write (or, with ``--check``, compare) the sample files; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are stale")
    args = parser.parse_args(argv)
    leads, events = generate()
    files = {
        LEADS_FILE: _jsonl(leads),
        EVENTS_FILE: _jsonl(events),
        OUTCOMES_FILE: _jsonl(outcomes(leads, events)),
    }
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (args.out / name).is_file()
            or (args.out / name).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"{args.out / name} is stale: run scripts/make_sample_data.py", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        with open(args.out / name, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    n_outcomes = files[OUTCOMES_FILE].count("\n")
    print(f"wrote {len(leads)} leads, {len(events)} events and {n_outcomes} outcomes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
