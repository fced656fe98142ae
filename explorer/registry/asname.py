"""Short names for AS labels, from the AS-names data as the registries give it.

AS-names files say ``"HANDLE - Organisation, CC"`` (``HURRICANE - Hurricane Electric, Inc., US``) or
``"HANDLE Organisation, CC"`` (``CHINA169-BACKBONE CNCGROUP China169 Backbone, CN``); CAIDA's
AS-to-organisation files are imported the first way. A label wants the organisation, without its
legal form (``Inc.``, ``Ltd``, ``OJSC``) or the trade name it is ``d/b/a``; where the registry put an
address instead (APNIC's ``No.31,Jin-rong Street``, ``Ryugyong-dong``), or nothing, the handle.

``label_variants`` gives the texts a label may take, longest first, each cut at a word boundary (a
space, or a hyphen inside a handle): a label that has no room for one takes the next, never a word cut
in the middle.
"""

from __future__ import annotations

import re

LEGAL = {"inc", "incorporated", "llc", "ltd", "limited", "co", "corp", "corporation", "company", "gmbh", "ag", "sa",
         "spa", "bv", "nv", "plc", "pte", "pty", "ojsc", "pjsc", "cjsc", "jsc", "ooo", "sdn", "bhd", "ab", "oy",
         "as", "asa", "sro", "srl", "sarl", "sas", "kft", "kg", "lp", "llp", "pvt", "tbk", "coltd", "sl", "ltda",
         "the"}
ADDRESS = re.compile(r"\b(street|st\.|road|rd\.|avenue|ave\.|building|floor|tower|room|suite|no\.\s*\d+|unit\s+\d+|district)\b|-dong\b|\d+,",
                     re.IGNORECASE)


def _is_legal(word: str) -> bool:
    return re.sub(r"[^a-z]", "", word.lower()) in LEGAL


def split_name(name: str | None) -> tuple[str, str]:
    """(handle, organisation) of an AS-names entry; the country suffix dropped."""
    text = (name or "").strip()
    text = re.sub(r",\s*[A-Z]{2}$", "", text).strip()
    head, sep, rest = text.partition(" - ")
    if sep and " " not in head.strip():
        return head.strip(), rest.strip()
    head, _, rest = text.partition(" ")
    return head.strip(), rest.strip()


def organisation(org: str) -> str:
    """``org`` without legal forms, trade-name prefixes or parentheses: ``MCI Communications Services, Inc.
    d/b/a Verizon Business`` -> ``Verizon Business``; ``OJSC Rostelecom`` -> ``Rostelecom``."""
    org = org.split(" d/b/a ")[-1]
    org = re.sub(r"\([^)]*\)", " ", org)
    words = [w for w in re.split(r"[\s,]+", org) if w and w not in {"-", "&amp;"}]
    while words and _is_legal(words[-1]):
        words.pop()
    while words and _is_legal(words[0]) and len(words) > 1:
        words.pop(0)
    return " ".join(words).strip(" .,;:-")


def short_name(name: str | None) -> str:
    """The organisation's short name for a label, else the handle; '' when the AS has no name."""
    if (name or "").lstrip().startswith("-"):            # '-Private Use AS-, ZZ', '-Reserved AS-'
        return re.sub(r",\s*[A-Z]{2}$", "", name.strip()).strip(" -")
    handle, org = split_name(name)
    org = organisation(org)
    if not org or ADDRESS.search(org):
        return handle
    return org


DANGLING = {"the", "and", "of", "for", "a", "an", "to", "in", "on", "at", "&", "+", "-", "de", "du", "da", "do", "dos",
            "das", "del", "della", "di", "des", "la", "le", "les", "el", "e", "y", "et", "und", "von", "van", "der"}


def _cuts(text: str) -> list[str]:
    """``text`` and its shorter forms, cut at word boundaries (spaces, then the hyphens of a lone word),
    none ending on a word that needs the next one (``Beyond The``)."""
    words = text.split()
    out = [" ".join(words[:k]) for k in range(len(words), 0, -1) if k == len(words) or words[k - 1].lower() not in DANGLING]
    first = words[0] if words else ""
    parts = first.split("-")
    out += ["-".join(parts[:k]) for k in range(len(parts) - 1, 0, -1) if parts[k - 1]]
    return [o for o in out if o]


def label_variants(asn: int, name: str | None, longest: int = 36) -> list[str]:
    """Texts for an AS's label, longest first (none over ``longest`` characters but ``AS<n>`` itself):
    ``AS4837 CNCGROUP China169 Backbone``, ``AS4837 CNCGROUP China169``, ``AS4837 CNCGROUP``, ``AS4837``."""
    short = short_name(name)
    out = [f"AS{asn} {c}" for c in _cuts(short)] if short else []
    out = [o for o in out if len(o) <= longest]
    return list(dict.fromkeys(out + [f"AS{asn}"]))
