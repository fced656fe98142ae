"""Times in and out: UTC ISO 8601 or Unix seconds in, UTC ISO 8601 ('2014-12-22T16:15:00Z') out.

Qt-free and store-free, so the command line, the analysis and the window read times the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone

# Every time the program reads lies in 1970-2100 (BGP archives start in 1997), and no step is longer
# than that span: beyond it no window, timestamp or microsecond count can be formed.
EARLIEST, LATEST = 0, 4_102_444_800
MAX_STEP = LATEST - EARLIEST


def parse_time(text: str) -> int:
    """UTC ISO 8601 ('2014-12-22T16:15:00Z') or Unix seconds -> Unix seconds, within 1970-2100."""
    text = str(text).strip()
    if text.lstrip("-").isdigit():
        seconds = int(text)
    else:
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"cannot read time {text!r}: use UTC ISO 8601 such as 2014-12-22T16:15:00Z, "
                             "or Unix seconds") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        seconds = int(dt.timestamp())
    if not EARLIEST <= seconds < LATEST:
        raise ValueError(f"time {_short(text)} is outside 1970-2100: give a time of the BGP archives, such as "
                         "2014-12-22T16:15:00Z")
    return seconds


def parse_duration(text: str) -> int:
    """'300', '300s', '5m', '1h', '1d' -> seconds, at most MAX_STEP."""
    text = str(text).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            seconds = int(float(text[:-1]) * units[text[-1]])
        else:
            seconds = int(text)
    except (ValueError, OverflowError):
        raise ValueError(f"cannot read duration {_short(text)}: use seconds (300) or 300s, 5m, 1h, 1d") from None
    if seconds > MAX_STEP:
        raise ValueError(f"duration {_short(text)} is longer than 1970-2100 ({MAX_STEP:,} s): use a step such as "
                         "300, 5m or 1h")
    return seconds


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def iso(seconds: int | float) -> str:
    """Unix seconds -> '2014-12-22T16:15:00Z' (fractions of a second kept when there are any)."""
    dt = datetime.fromtimestamp(seconds, tz=timezone.utc)
    text = dt.isoformat(timespec="microseconds" if dt.microsecond else "seconds")
    return text.replace("+00:00", "Z")
