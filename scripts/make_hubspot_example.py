"""Write examples/hubspot/: the bundled sample data as a HubSpot export would give it.

contacts.csv has the columns of HubSpot's contact export (Contacts > Export, default
properties; the ``hubspot`` preset maps them), activities.csv one row per activity with the
contact's Record ID, and deals.csv one row per closed deal (won or lost) of a contact.
columns.toml maps the three files' columns for ``leadqual --columns``.
Run from the project root: python scripts/make_hubspot_example.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import leadqual as lq
from leadqual.jsonvalues import thaw

OUT = Path(__file__).resolve().parent.parent / "examples" / "hubspot"
CONTACTS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Job Title",
    "Company Name",
    "Industry",
    "Number of Employees",
    "Country/Region",
    "Original Source",
]
ACTIVITIES = ["Activity ID", "Contact ID", "Activity Type", "Activity Date", "Page URL", "Campaign"]
DEALS = ["Contact ID", "Outcome", "Close Date"]


def record_id(lead_id: str) -> str:
    return str(1000 + int(lead_id.split("-")[1]))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "contacts.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CONTACTS)
        for lead in lq.samples.sample_leads():
            a = thaw(lead.attributes)
            writer.writerow(
                [
                    record_id(lead.id),
                    a.get("first_name", ""),
                    a.get("last_name", ""),
                    lead.email or "",
                    a.get("title", ""),
                    a.get("company", ""),
                    a.get("industry", ""),
                    a.get("employees", ""),
                    a.get("country", ""),
                    a.get("lead_source", ""),
                ]
            )
    with (OUT / "activities.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(ACTIVITIES)
        for event in lq.samples.sample_events():
            p = thaw(event.properties)
            writer.writerow(
                [
                    event.id or "",
                    record_id(event.lead_id),
                    event.type,
                    event.at.isoformat(),
                    p.get("url", ""),
                    p.get("campaign", ""),
                ]
            )
    with (OUT / "deals.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(DEALS)
        for outcome in lq.samples.sample_outcomes():
            at = "" if outcome.at is None else outcome.at.isoformat()
            writer.writerow([record_id(outcome.lead_id), outcome.result.value, at])


if __name__ == "__main__":
    main()
