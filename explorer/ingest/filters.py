"""The bgpstream filter language, applied to normalised elements during ingest.

Analysts already write filters for ``bgpreader -f`` and pybgpstream's ``filter=``; accepting the
same strings here means a filter copied from a notebook selects the same elements in this app.

Grammar, as documented in libbgpstream's ``FILTERING`` file (github.com/CAIDA/libbgpstream) and
confirmed in its parser and element filter (``lib/bgpstream_filter_parser.c``,
``lib/bgpstream_filter.c``, ``lib/bgpstream_record.c``)::

    filter  := clause ("and" clause)*
    clause  := term value...

* ``project``/``proj``, ``collector``/``coll``, ``type`` (ribs|updates): select files.
* ``elemtype`` (ribs|announcements|withdrawals|peerstates), ``peer`` ASN,
  ``prefix``/``pref`` [any|more|less|exact] P, ``ipversion``/``ipv`` 4|6,
  ``community``/``comm`` ASN:VALUE (either side may be ``*``), ``aspath``/``path`` REGEX:
  select elements.
* Several values after one term are alternatives (an implicit "or"); clauses joined by "and" must
  all hold. A multi-valued term may appear only once (FILTERING says so); ``path`` takes one
  expression but may be repeated, and every expression must then hold.
* ``prefix``: each prefix uses the most recent specificity word, and **"more" when none is given**
  (FILTERING and the parser agree; "any" is not the default). The short form is ``pref``;
  bgpstream has no ``pfx``.
* ``path`` is a Cisco-style regex: POSIX ERE, except ``{}`` are literal and ``_`` matches the start,
  the end, a space, a brace, a comma or an underscore, i.e. an AS boundary, also inside AS sets
  such as ``{1,2}``. A leading ``!`` negates the expression.
* Values may be double-quoted when they contain spaces or look like a keyword.

Element rules taken from ``elem_check_filters`` in bgpstream_record.c: a withdrawal or peer-state
element never passes a ``path`` or ``community`` clause, negated or not (it carries no path or
communities to test); peer-state elements never pass ``prefix`` or ``ipversion`` clauses.
Withdrawals pass ``prefix``, ``peer``, ``ipversion`` and ``elemtype`` clauses normally.

Small, documented departures: keywords and collector/project names compare case-insensitively,
single quotes work like double quotes, elemtype/type accept singular words (``announcement``),
and an unquoted path regex may span several words (``path _4837 131279$``) as long as none of them
is a term name, so a forgotten "and" is reported rather than swallowed into the regex. A project
clause reads the project from the collector name when the caller does not give it (``rrcNN`` is
``ris``, ``route-views*`` is ``routeviews``, bgpstream's project names) and otherwise does not match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from ipaddress import ip_network
from socket import AF_INET, AF_INET6, inet_pton

DEFAULT_SPECIFICITY = "more"  # bgpstream's documented default for a prefix without a word

# canonical term -> accepted spellings (bgpstream's abbreviations)
_TERMS: dict[str, tuple[str, ...]] = {
    "project": ("project", "proj"),
    "collector": ("collector", "coll"),
    "type": ("type",),
    "elemtype": ("elemtype",),
    "peer": ("peer",),
    "prefix": ("prefix", "pref"),
    "ipversion": ("ipversion", "ipv"),
    "community": ("community", "comm"),
    "aspath": ("aspath", "path"),
}
_SPELLING = {alias: term for term, aliases in _TERMS.items() for alias in aliases}
_VALID_TERMS = ", ".join("/".join(aliases) for aliases in _TERMS.values())
_REPEATABLE = {"aspath"}
_SPECIFICITIES = ("any", "more", "less", "exact")
# bgpstream's specificity -> pybgpkit-parser's prefix filter (more: the prefix and its
# more-specifics, "sub" there; less: and its less-specifics, "super").
_BGPKIT_PREFIX = {"exact": "prefix", "more": "prefix_sub", "less": "prefix_super", "any": "prefix_super_sub"}
_ELEM_TYPES = {"ribs": "R", "announcements": "A", "withdrawals": "W", "peerstates": "S"}
_FILE_TYPES = {"ribs": "rib", "updates": "updates"}
# File kinds as the header walk names them -> the filter's file type; legacy MRT type 5 files
# hold BGP messages, so "type updates" selects them.
_FILE_KINDS = {"rib": "rib", "ribs": "rib", "update": "updates", "updates": "updates", "legacy": "updates"}
# "_" in a Cisco regex: start, end, or one of the characters that separate ASNs in a path.
_AS_BOUNDARY = r"(?:^|$|[ {},_])"
_MEMO_LIMIT = 1 << 16  # prefixes whose answer is remembered (a few MB at most)

# Every element check takes matches()'s arguments, so matches() can call them all the same way.
Check = Callable[[str, int, str, str | None, list[str] | None], bool]


class FilterError(ValueError):
    """A filter string that cannot be read, with the word and where it stands, for the user."""

    def __init__(self, message: str, expr: str, position: int, word: str) -> None:
        caret = f"\n  {expr}\n  {' ' * position}^" if expr else ""
        super().__init__(f"{message}{caret}")
        self.position = position  # 0-based offset into the filter string
        self.word = word


@dataclass(frozen=True)
class _Token:
    text: str
    pos: int
    quoted: bool

    def keyword(self) -> str | None:
        """The word as a keyword, or None when quoting makes it a plain value."""
        return None if self.quoted else self.text.lower()


def _tokenize(expr: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(expr)
    while i < n:
        if expr[i].isspace():
            i += 1
            continue
        if expr[i] in "\"'":
            end = expr.find(expr[i], i + 1)
            if end < 0:
                raise FilterError(f"unterminated quote at column {i + 1}: close it with {expr[i]}",
                                  expr, i, expr[i:])
            if end + 1 < n and not expr[end + 1].isspace():
                raise FilterError(f"the quote closed at column {end + 1} must end the word",
                                  expr, end, expr[i : end + 2])
            tokens.append(_Token(expr[i + 1 : end], i, True))
            i = end + 1
            continue
        start = i
        while i < n and not expr[i].isspace():
            i += 1
        tokens.append(_Token(expr[start:i], start, False))
    return tokens


def _split_clauses(expr: str, tokens: list[_Token]) -> list[tuple[str, _Token, list[_Token]]]:
    """Group tokens into (term, term token, value tokens), checking the "and" structure."""
    clauses: list[tuple[str, _Token, list[_Token]]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        word = tok.keyword()
        term = _SPELLING.get(word or "")
        if term is None:
            what = "expected a term" if word == "and" else f"unknown term {tok.text!r}"
            hint = get_close_matches(word or "", list(_SPELLING), n=1, cutoff=0.5)
            hint_text = f" (did you mean {_SPELLING[hint[0]]!r}?)" if hint else ""
            raise FilterError(
                f"{what} at column {tok.pos + 1}{hint_text}; valid terms: {_VALID_TERMS}",
                expr, tok.pos, tok.text)
        values: list[_Token] = []
        i += 1
        while i < len(tokens) and tokens[i].keyword() != "and":
            if tokens[i].keyword() in _SPELLING:
                bad = tokens[i]
                raise FilterError(
                    f"{bad.text!r} at column {bad.pos + 1} is a term name: is an 'and' missing "
                    f"before it? (quote it if it is a value)", expr, bad.pos, bad.text)
            values.append(tokens[i])
            i += 1
        if not values:
            raise FilterError(f"{tok.text!r} at column {tok.pos + 1} needs at least one value",
                              expr, tok.pos, tok.text)
        if i < len(tokens):  # tokens[i] is "and": a term must follow it
            if i + 1 == len(tokens):
                raise FilterError(f"dangling 'and' at column {tokens[i].pos + 1}: a term must "
                                  f"follow it; valid terms: {_VALID_TERMS}",
                                  expr, tokens[i].pos, tokens[i].text)
            i += 1
        clauses.append((term, tok, values))
    return clauses


def _cisco_regex(regex: str) -> str:
    """Translate a Cisco AS-path regex to Python: ``_`` becomes an AS boundary, braces literal."""
    out: list[str] = []
    i, n = 0, len(regex)
    while i < n:
        ch = regex[i]
        if ch == "\\" and i + 1 < n:
            out.append(regex[i : i + 2])
            i += 2
        elif ch == "[":  # bracket expression: copied as is; a leading "]" is a literal
            j = i + 1
            j += regex.startswith("^", j)
            j += regex.startswith("]", j)
            close = regex.find("]", j)
            j = n if close < 0 else close + 1
            out.append(regex[i:j])
            i = j
        else:
            out.append(_AS_BOUNDARY if ch == "_" else "\\" + ch if ch in "{}" else ch)
            i += 1
    return "".join(out)


def _quote(value: str) -> str:
    needs = not value or any(c.isspace() for c in value) or value.lower() in _SPELLING \
        or value.lower() == "and" or value[0] in "\"'"
    if not needs:
        return value
    return f"'{value}'" if '"' in value else f'"{value}"'


def _parse_prefix(tok: _Token, expr: str) -> tuple[int, int, int]:
    """(ip version, network as int, length); host bits are cleared like bgpstream does."""
    try:  # ip_network would read a bare "3356" as 0.0.13.28/32, hence the separator test
        if not ("." in tok.text or ":" in tok.text):
            raise ValueError(tok.text)
        net = ip_network(tok.text, strict=False)
    except ValueError:
        raise FilterError(f"{tok.text!r} at column {tok.pos + 1} is not an IP prefix "
                          f"(e.g. 192.0.2.0/24 or 2001:db8::/32)", expr, tok.pos, tok.text) from None
    return net.version, int(net.network_address), net.prefixlen


def _key(addr: int, bits: int, length: int) -> int:
    """One int per (length, network): the network's top bits with the length in the low byte."""
    return (addr >> (bits - length)) << 8 | length


def _prefix_check(entries: Sequence[tuple[str, int, int, int]]) -> Check:
    """A check answering "more/less/exact/any" with a few set lookups, however many prefixes.

    ``points`` holds every prefix an element may equal (exact, more and any prefixes, and every
    ancestor of a less/any prefix); ``covers`` holds more/any prefixes an element may fall inside.
    """
    tables: dict[int, tuple[set[int], set[int], list[int]]] = {4: (set(), set(), []), 6: (set(), set(), [])}
    for mode, version, addr, length in entries:
        bits = 32 if version == 4 else 128
        points, covers, _ = tables[version]
        points.add(_key(addr, bits, length))
        if mode in ("less", "any"):
            points.update(_key(addr, bits, up) for up in range(length))
        if mode in ("more", "any"):
            covers.add(_key(addr, bits, length))
    for points, covers, lengths in tables.values():
        lengths.extend(sorted({key & 0xFF for key in covers}))
    v4 = (frozenset(tables[4][0]), frozenset(tables[4][1]), tuple(tables[4][2]))
    v6 = (frozenset(tables[6][0]), frozenset(tables[6][1]), tuple(tables[6][2]))

    def match(prefix: str) -> bool:
        if not prefix:  # peer-state elements carry none
            return False
        addr_text, _, len_text = prefix.partition("/")
        try:
            if ":" in addr_text:
                points, covers, lengths = v6
                bits, addr = 128, int.from_bytes(inet_pton(AF_INET6, addr_text), "big")
            else:
                points, covers, lengths = v4
                bits, addr = 32, int.from_bytes(inet_pton(AF_INET, addr_text), "big")
            length = int(len_text) if len_text else bits
        except (OSError, ValueError):  # an unreadable prefix selects nothing rather than crash
            return False
        if not 0 <= length <= bits:   # e.g. 10.0.0.0/33 from a damaged message: no prefix of ours
            return False
        if (addr >> (bits - length)) << 8 | length in points:
            return True
        for up in lengths:
            if up >= length:
                return False
            if (addr >> (bits - up)) << 8 | up in covers:
                return True
        return False

    # Parsing the address is most of the cost, and the same prefix comes back again and again
    # (a RIB lists one prefix for every peer in a row), so answers are remembered, up to a bound.
    memo: dict[str, bool] = {}

    def check(elem_type: str, peer_asn: int, prefix: str, as_path: str | None,
              communities: list[str] | None) -> bool:
        answer = memo.get(prefix)
        if answer is None:
            answer = match(prefix)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[prefix] = answer
        return answer

    return check


def _community_check(exact: frozenset[str], by_asn: frozenset[str], by_value: frozenset[str],
                     any_standard: bool) -> Check:
    wild = bool(by_asn or by_value or any_standard)

    def check(elem_type: str, peer_asn: int, prefix: str, as_path: str | None,
              communities: list[str] | None) -> bool:
        if not communities or elem_type in ("W", "S"):
            return False
        for comm in communities:
            if comm in exact:
                return True
            if wild:
                asn, sep, value = comm.partition(":")
                if sep and ":" not in value and (any_standard or asn in by_asn or value in by_value):
                    return True
        return False

    return check


def _path_check(pattern: re.Pattern[str], negate: bool) -> Check:
    search = pattern.search

    def check(elem_type: str, peer_asn: int, prefix: str, as_path: str | None,
              communities: list[str] | None) -> bool:
        if as_path is None or elem_type in ("W", "S"):
            return False
        return (search(as_path) is None) is negate

    return check


def _project_of(collector: str) -> str | None:
    """bgpstream's project name for a collector named the RIS or RouteViews way, else None."""
    name = collector.lower()
    if name.startswith("rrc"):
        return "ris"
    if name.startswith("route-views"):
        return "routeviews"
    return None


@dataclass(frozen=True)
class _Clause:
    """One clause of a filter: its term, its values as shown, and how to test or push it."""

    term: str
    shown: tuple[str, ...]
    rank: int
    check: Check | None = None              # element clauses
    names: frozenset[str] | None = None     # file clauses
    bgpkit: Callable[[str], dict[str, str] | None] | None = None   # file kind -> pybgpkit filters

    @property
    def text(self) -> str:
        return " ".join([self.term, *(_quote(v) for v in self.shown)])


class ElementFilter:
    """A parsed filter: file-level sets plus element checks, all prepared once for the hot path."""

    def __init__(self, text: str, clauses: Sequence[_Clause]) -> None:
        self.text = text
        self.clauses = tuple(clauses)
        self.is_empty = not self.clauses
        files = {c.term: c.names for c in self.clauses if c.names is not None}
        self._collectors = files.get("collector")
        self._projects = files.get("project")
        self._kinds = files.get("type")
        self._element = tuple(sorted((c for c in self.clauses if c.check is not None), key=lambda c: c.rank))
        self._checks = tuple(c.check for c in self._element)

    @property
    def has_element_clauses(self) -> bool:
        return bool(self._checks)

    def element_text(self) -> str:
        """The element clauses alone, as bgpstream filter text (for bgpreader: the file clauses are
        decided here, from the path, since a single file has no collector of its own there)."""
        return " and ".join(c.text for c in self.clauses if c.check is not None)

    def for_bgpkit(self, kind: str = "updates") -> tuple[dict[str, str], "ElementFilter | None"]:
        """(pybgpkit-parser filters, the filter Python must still apply, or None).

        pybgpkit-parser 0.6.2 takes one value per filter: a single peer ASN, a single prefix with
        its specificity, one element type, one IP version, one AS-path regex. The rest stays here.
        """
        pushed: dict[str, str] = {}
        rest: list[_Clause] = []
        for clause in self._element:
            push = clause.bgpkit(kind) if clause.bgpkit is not None else None
            if push and not set(push) & set(pushed):
                pushed.update(push)
            else:
                rest.append(clause)
        residual = ElementFilter(" and ".join(c.text for c in rest), rest) if rest else None
        return pushed, residual

    def matches_file(self, collector: str, kind: str, project: str | None = None) -> bool:
        """Whether any element of a file from this collector/kind ("rib"/"updates"/"legacy") may pass.

        Without ``project``, a project clause goes by the collector's name (rrcNN: ris,
        route-views*: routeviews); a collector named neither way matches no project.
        """
        if self._collectors is not None and collector.lower() not in self._collectors:
            return False
        if self._kinds is not None and _FILE_KINDS.get(kind.lower()) not in self._kinds:
            return False
        if self._projects is not None:
            project = (project or _project_of(collector) or "").lower()
            if project not in self._projects:
                return False
        return True

    def matches(self, elem_type: str, peer_asn: int, prefix: str, as_path: str | None,
                communities: list[str] | None) -> bool:
        """Whether one element passes every element clause; elem_type is "R", "A" or "W"."""
        for check in self._checks:
            if not check(elem_type, peer_asn, prefix, as_path, communities):
                return False
        return True

    def __repr__(self) -> str:
        return f"ElementFilter({self.text!r})"


def _choose(values: list[_Token], expr: str, term: str, choices: dict[str, str]) -> set[str]:
    """Map each value through ``choices``, accepting singular spellings too ("announcement")."""
    out = set()
    for tok in values:
        word = tok.text.lower()
        hit = choices.get(word, choices.get(word + "s"))
        if hit is None:
            raise FilterError(f"{term} value {tok.text!r} at column {tok.pos + 1} is not one of: "
                              f"{', '.join(choices)}", expr, tok.pos, tok.text)
        out.add(hit)
    return out


# Each reader turns a clause's values into (values as shown in ElementFilter.text, what to test,
# and optionally how to hand it to pybgpkit-parser for a file of a given kind).
Reading = tuple[list[str], Check | frozenset[str]] | tuple[list[str], Check, Callable[[str], dict | None]]


def _read_names(values: list[_Token], expr: str) -> Reading:
    return [tok.text for tok in values], frozenset(tok.text.lower() for tok in values)


def _read_type(values: list[_Token], expr: str) -> Reading:
    kinds = _choose(values, expr, "type", _FILE_TYPES)
    return [k for k, v in _FILE_TYPES.items() if v in kinds], frozenset(kinds)


def _read_elemtype(values: list[_Token], expr: str) -> Reading:
    codes = frozenset(_choose(values, expr, "elemtype", _ELEM_TYPES))
    shown = [k for k, v in _ELEM_TYPES.items() if v in codes]

    def bgpkit(kind: str) -> dict | None:   # pybgpkit-parser calls RIB entries announcements
        seen = {"A" if c == "R" and kind == "rib" else c for c in codes if c != "S"}
        if kind != "rib":
            seen.discard("R")
        return {"type": "a"} if seen == {"A"} else {"type": "w"} if seen == {"W"} else None

    return shown, lambda et, pa, pf, ap, cm: et in codes, bgpkit


def _read_peer(values: list[_Token], expr: str) -> Reading:
    for tok in values:
        if not tok.text.isdigit() or int(tok.text) >= 2**32:
            raise FilterError(f"peer value {tok.text!r} at column {tok.pos + 1} is not an AS "
                              f"number (0-4294967295)", expr, tok.pos, tok.text)
    peers = frozenset(int(tok.text) for tok in values)
    push = {"peer_asn": str(next(iter(peers)))} if len(peers) == 1 else None
    return [str(p) for p in sorted(peers)], lambda et, pa, pf, ap, cm: pa in peers, lambda kind: push


def _read_ipversion(values: list[_Token], expr: str) -> Reading:
    versions = _choose(values, expr, "ipversion", {"4": "4", "6": "6"})
    if len(versions) == 2:  # any prefix will do, but peer-state elements have none
        return ["4", "6"], lambda et, pa, pf, ap, cm: bool(pf)
    want_v6 = "6" in versions
    push = {"ip_version": "ipv6" if want_v6 else "ipv4"}
    return sorted(versions), lambda et, pa, pf, ap, cm: bool(pf) and (":" in pf) is want_v6, lambda kind: push


def _read_prefix(values: list[_Token], expr: str) -> Reading:
    mode, shown, entries = DEFAULT_SPECIFICITY, [], []
    for tok in values:
        if tok.keyword() in _SPECIFICITIES:
            mode = tok.text.lower()
            continue
        version, addr, length = _parse_prefix(tok, expr)
        entries.append((mode, version, addr, length))
        shown += [mode, str(ip_network((addr, length)))]
    last = values[-1]
    if last.keyword() in _SPECIFICITIES:
        raise FilterError(f"{last.text!r} at column {last.pos + 1} must be followed by a prefix",
                          expr, last.pos, last.text)
    push = None
    if len(entries) == 1:
        mode, _, addr, length = entries[0]
        push = {_BGPKIT_PREFIX[mode]: str(ip_network((addr, length)))}
    return shown, _prefix_check(entries), lambda kind: push


def _community_part(part: str) -> str | None:
    if part == "*":
        return part
    return str(int(part)) if part.isdigit() and int(part) <= 0xFFFF else None


def _read_community(values: list[_Token], expr: str) -> Reading:
    shown: list[str] = []
    exact: set[str] = set()
    by_asn: set[str] = set()
    by_value: set[str] = set()
    for tok in values:
        asn_text, sep, value_text = tok.text.partition(":")
        asn, value = _community_part(asn_text), _community_part(value_text)
        if not sep or asn is None or value is None:
            raise FilterError(f"community {tok.text!r} at column {tok.pos + 1} is not ASN:VALUE "
                              f"(16-bit numbers or *, e.g. 3356:666, *:666, 3356:*)",
                              expr, tok.pos, tok.text)
        if asn == "*" and value != "*":
            by_value.add(value)
        elif value == "*" and asn != "*":
            by_asn.add(asn)
        elif asn != "*":
            exact.add(f"{asn}:{value}")
        shown.append(f"{asn}:{value}")
    any_standard = "*:*" in shown
    return shown, _community_check(frozenset(exact), frozenset(by_asn), frozenset(by_value),
                                   any_standard)


def _read_aspath(values: list[_Token], expr: str) -> Reading:
    if len(values) > 1 and any(tok.quoted for tok in values):
        tok = values[1]
        raise FilterError(f"path takes one regular expression, got a second value at column "
                          f"{tok.pos + 1}; quote the whole expression", expr, tok.pos, tok.text)
    regex = " ".join(tok.text for tok in values)  # unquoted words: one regex with spaces
    negate = regex.startswith("!")
    try:
        pattern = re.compile(_cisco_regex(regex[negate:]))
    except re.error as err:
        raise FilterError(f"path regex {regex!r} at column {values[0].pos + 1} is invalid: "
                          f"{err.msg}", expr, values[0].pos, regex) from None
    push = None if negate else {"as_path": pattern.pattern}
    return [regex], _path_check(pattern, negate), lambda kind: push


# term -> (reader, rank): element checks run cheapest first, so most elements stop early.
# File terms read to a frozenset of names, element terms to a check.
_READERS: dict[str, tuple[Callable[[list[_Token], str], Reading], int]] = {
    "project": (_read_names, 0),
    "collector": (_read_names, 0),
    "type": (_read_type, 0),
    "elemtype": (_read_elemtype, 1),
    "peer": (_read_peer, 2),
    "ipversion": (_read_ipversion, 3),
    "prefix": (_read_prefix, 4),
    "community": (_read_community, 5),
    "aspath": (_read_aspath, 6),
}


def parse_filter(expr: str) -> ElementFilter:
    """Read a bgpstream filter string; an empty or blank string gives a filter matching everything."""
    seen: dict[str, _Token] = {}
    clauses: list[_Clause] = []
    for term, term_tok, values in _split_clauses(expr, _tokenize(expr)):
        if term in seen and term not in _REPEATABLE:
            raise FilterError(f"{term_tok.text!r} at column {term_tok.pos + 1} repeats a term "
                              f"(first at column {seen[term].pos + 1}); list all values after one "
                              f"'{term}', they are alternatives", expr, term_tok.pos, term_tok.text)
        seen[term] = term_tok
        reader, rank = _READERS[term]
        shown, test, *push = reader(values, expr)
        if isinstance(test, frozenset):
            clauses.append(_Clause(term, tuple(shown), rank, names=test))
        else:
            clauses.append(_Clause(term, tuple(shown), rank, check=test, bgpkit=push[0] if push else None))
    return ElementFilter(" and ".join(c.text for c in clauses), clauses)
