"""A country named by its ISO code or its English name, short or official."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache

import pycountry


class CountryError(ValueError):
    """A country that is not in ISO 3166; the message lists the nearest matches."""


@dataclass(frozen=True)
class Country:
    code: str       # ISO 3166-1 alpha-2, e.g. 'KP'
    name: str       # e.g. 'North Korea'


@lru_cache(maxsize=1)
def _names() -> dict[str, Country]:
    """Every accepted spelling (lower case) -> country."""
    names: dict[str, Country] = {}
    for c in pycountry.countries:
        country = Country(c.alpha_2, getattr(c, "common_name", None) or c.name)
        for spelling in (c.alpha_2, c.alpha_3, c.name, getattr(c, "common_name", None),
                         getattr(c, "official_name", None)):
            if spelling:
                names[spelling.lower()] = country
    # registries also use these codes
    names.setdefault("eu", Country("EU", "European Union"))
    names.setdefault("ap", Country("AP", "Asia/Pacific region"))
    return names


def resolve_country(text: str) -> Country:
    """'KP', 'PRK', 'North Korea', "Korea, Democratic People's Republic of" -> Country('KP', ...)."""
    key = " ".join(str(text).split()).lower()
    names = _names()
    if key in names:
        return names[key]
    long_names = [n for n in names if len(n) > 3]
    near = difflib.get_close_matches(key, long_names, n=4, cutoff=0.5)
    near += [n for n in long_names if key and key in n and n not in near][:4 - len(near)]
    hint = "; nearest: " + ", ".join(f"{names[n].name} ({names[n].code})" for n in near) if near else ""
    raise CountryError(f"unknown country {text!r}: give an ISO 3166 code such as KP or an English name{hint}")


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    c = _names().get(code.lower())
    return c.name if c else None
