"""How numbers read in explanations: the one formatting every module shares.

>>> short_number(25.0), short_number(25.27), signed_number(15), signed_number(-2.5)
('25', '25.3', '+15', '-2.5')
>>> days(1), days(30), days(0.5)
('1 day', '30 days', '0.5 days')
>>> percent(0.125), percent(1 / 3), percent(None)
('12.5%', '33.3%', '-')
>>> from datetime import timedelta
>>> duration(timedelta(hours=30)), duration(timedelta(days=3, hours=12))
('30 h', '3.5 days')
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["days", "duration", "percent", "short_number", "signed_number"]


def short_number(value: float) -> str:
    """One decimal, without a trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def signed_number(value: float) -> str:
    """Like :func:`short_number`, always with its sign."""
    text = f"{value:+.1f}"
    return text[:-2] if text.endswith(".0") else text


def days(count: float) -> str:
    """``"1 day"``, ``"30 days"``."""
    return f"{count:g} day" + ("" if count == 1 else "s")


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal (``"-"`` when unknown): every report,
    terminal or HTML, writes shares this way."""
    return "-" if value is None else f"{value:.1%}"


def duration(delta: timedelta) -> str:
    """A span of time as people read it: hours under two days, else days."""
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"
