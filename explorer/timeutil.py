"""Times in and out: UTC ISO 8601 or Unix seconds in, UTC ISO 8601 ('2014-12-22T16:15:00Z') out.

Qt-free and store-free, so the command line, the analysis and the window read times the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(text: str) -> int:
    """UTC ISO 8601 ('2014-12-22T16:15:00Z') or Unix seconds -> Unix seconds."""
    text = str(text).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read time {text!r}: use UTC ISO 8601 such as 2014-12-22T16:15:00Z, "
                         "or Unix seconds") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp())


def parse_duration(text: str) -> int:
    """'300', '300s', '5m', '1h', '1d' -> seconds."""
    text = str(text).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise ValueError(f"cannot read duration {text!r}: use seconds (300) or 300s, 5m, 1h, 1d") from None


def iso(seconds: int | float) -> str:
    """Unix seconds -> '2014-12-22T16:15:00Z' (fractions of a second kept when there are any)."""
    dt = datetime.fromtimestamp(seconds, tz=timezone.utc)
    text = dt.isoformat(timespec="microseconds" if dt.microsecond else "seconds")
    return text.replace("+00:00", "Z")
