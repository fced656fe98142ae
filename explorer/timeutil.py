"""Times in and out: UTC ISO 8601 or Unix seconds in, UTC ISO 8601 ('2014-12-22T16:15:00Z') out.

Qt-free and store-free, so the command line, the analysis and the window read times the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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


def iso_us(us: int) -> str:
    """Microseconds since the epoch -> '2015-10-23T02:01:51.010000Z' (exact: no float on the way)."""
    us = int(us)
    dt = datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc) + timedelta(microseconds=us % 1_000_000)
    text = dt.isoformat(timespec="microseconds" if dt.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_time_us(text: str) -> int:
    """'2015-10-23T02:01:51.010749Z' (as ``iso_us`` writes it) -> microseconds, exactly."""
    head, _, frac = str(text).strip().rstrip("Z").partition(".")
    return parse_time(head + "Z") * 1_000_000 + (int(frac[:6].ljust(6, "0")) if frac else 0)


# -- for people: slides, tables, the terminal ------------------------------------------------------

def _dt(us: int) -> datetime:
    us = int(us)
    return datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc)


def clock(us: int) -> str:
    """'16:15', or '16:14:47' when the instant is not on a minute (to the second, rounded down)."""
    dt = _dt(us)
    return dt.strftime("%H:%M:%S" if dt.second else "%H:%M")


def day(us: int) -> str:
    """'Mon 22 Dec'."""
    dt = _dt(us)
    return f"{dt:%a} {dt.day} {dt:%b}"


def when(us: int) -> str:
    """'Mon 22 Dec 16:15 UTC'."""
    return f"{day(us)} {clock(us)} UTC"


def span_text(start_us: int, end_us: int, *, duration: bool = True) -> str:
    """'Mon 22 Dec 16:15 - Tue 23 Dec 01:46 UTC (9 h 31 min)': the date once, and again wherever the
    span crosses midnight."""
    same = _dt(start_us).date() == _dt(end_us).date()
    text = f"{day(start_us)} {clock(start_us)} - {'' if same else day(end_us) + ' '}{clock(end_us)} UTC"
    return text + (f" ({duration_text((int(end_us) - int(start_us)) / 1_000_000)})" if duration else "")


def duration_text(seconds: float) -> str:
    """'9 h 31 min', '32 min', '47 s', '2 d 3 h'; seconds are dropped from spans of a day or more."""
    seconds = int(seconds)
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{d} d" if d else "", f"{h} h" if h else "", f"{m} min" if m else "", f"{s} s" if s and not d else ""]
    return " ".join(p for p in parts if p) or "0 s"
