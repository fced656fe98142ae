"""A BGPStream broker on 127.0.0.1 for tests: libbgpstream's broker data interface answered with real archives.

What libbgpstream 2.3.0 asks (``lib/datainterfaces/bsdi_broker.c``), from the broker URL option ``url``
(default ``https://broker.bgpstream.caida.org/v2``)::

    GET <url>/data?projects[]=ris&collectors[]=rrc23&types[]=updates&intervals[]=BEGIN,END
    GET <url>/data?...same...&dataAddedSince=<"time" of the last answer>&minInitialTime=<max initialTime+duration>

(also ``routers[]``, ``peer_asns[]``, ``resourceTypes[]`` and the ``param`` option's ``k=v`` when set). It
asks again whenever it has read every file it was given; in historical mode an answer with no resources
ends the stream (live mode would poll on). An answer::

    {"version": 2, "time": 1796107200, "type": "data", "error": null, "queryParameters": {...},
     "data": {"resources": [{"project": "ris", "collector": "rrc23", "type": "updates",
                             "initialTime": 1650506400, "duration": 300, "url": "http://127.0.0.1:PORT/...",
                             "transport": "file", "format": "mrt"}]}}

Every resource needs those eight keys (an unknown key or a missing one makes libbgpstream retry the same
query for ever, backing off to 15 minutes); ``type`` is ``ribs`` or ``updates``; ``version`` must be 2.
An archive file is ``"transport": "file"`` even when its URL is http: wandio opens it and undoes its gzip
or bzip2 by content, and only such files move ``minInitialTime`` on. (``"http"`` is for streams: read raw,
so an archive fails to parse, and never advancing, the same query is asked again and again.)

Which files an answer holds follows CAIDA's broker (``BgpDataRepository::findByIntervalProjectsCollectorsTypes``
of bgpstream-web): files of the asked projects, collectors and types whose initialTime lies in an asked
interval widened by ``START_OFFSET`` before it, paged by initialTime in windows of ``QUERY_WINDOW`` from
``minInitialTime`` (the first interval's start on the first query), the window growing when it holds
nothing until it reaches the last interval's end (then the answer is empty: the stream is complete; CAIDA's
gives up as soon as the grown window passes that end, which can skip a file just before it when the archive has
a gap of days, as ours has: this one tries the window cut at the end once more); a file
must end (plus ``FILE_TIME_OFFSET``) at or after ``minInitialTime``; of several groups of files overlapping
in time, the last is held back for the next page, so a page never splits such a group. ``dataAddedSince``
adds files that arrived late (none here: every file was "added" before the server started).

The files are served over HTTP from their real paths in ``../shared/data`` (URL path = file path), read in
place. The server runs in its own process: pybgpstream holds the GIL while libbgpstream waits on the
network, so a server thread in the test's own process would never answer.

A second server, the guard, stands in for the rest of the network: the fixture points ``http_proxy``,
``https_proxy`` and ``all_proxy`` at it and exempts only 127.0.0.1, so any connection libcurl (wandio)
would open elsewhere (``broker.bgpstream.caida.org`` when the URL option is missing) reaches the guard,
which records it and refuses it. ``LoopbackBroker.leaks()`` lists what it caught.
"""

from __future__ import annotations

import json
import os
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

# CAIDA's broker constants (seconds)
QUERY_WINDOW = 7200             # a page covers initialTimes over 2 hours...
QUERY_WINDOW_MAX = 2419200      # ...doubling while empty, up to 28 days
START_OFFSET = 1020             # files starting up to 17 minutes before an interval may hold records of it
FILE_TIME_OFFSET = 120
BROKER_PATH = "/broker"         # the URL option is http://127.0.0.1:PORT/broker


@dataclass(frozen=True)
class Dump:
    """One archive file as the broker describes it. ``path`` is relative to ../shared/data."""
    path: str
    project: str
    collector: str
    type: str                   # "ribs" or "updates"
    initial_time: int
    duration: int


# The files this broker offers, with the metadata CAIDA's broker would give them. Times are the archive's
# file times (the dump's name); durations as the broker's dumpInfo: RIS updates 5 min (2002: 15), RouteViews
# updates 15 min, RIB dumps 2 min.
CATALOGUE = (
    # RIS rrc05 (VIX, Vienna: the peers are on its LAN 193.203.0.0/24), 22 July 2002: updates, then a RIB
    Dump("mrt/bgpdump__updates.20020722.2238.gz", "ris", "rrc05", "updates", 1027377480, 900),
    Dump("mrt/bgpdump__bview.20020722.2337.gz", "ris", "rrc05", "ribs", 1027381020, 120),
    # 1 April 2015 00:00, two projects at once (libbgpstream's own test files)
    Dump("mrt/libbgpstream__ris.rrc06.updates.1427846400.gz", "ris", "rrc06", "updates", 1427846400, 300),
    Dump("mrt/libbgpstream__routeviews.route-views.jinx.updates.1427846400.bz2", "routeviews",
         "route-views.jinx", "updates", 1427846400, 900),
    # RIS rrc23 (Singapore), two update files ten days apart
    Dump("mrt/dnas__rrc23.updates.20220421.0200.gz", "ris", "rrc23", "updates", 1650506400, 300),
    Dump("mrt/dnas__rrc23.updates.20220501.2305.gz", "ris", "rrc23", "updates", 1651446300, 300),
)

FOREVER = 0     # libbgpstream's end of an open interval (live mode)


# -- which files an answer holds ------------------------------------------------------------------

def select(dumps, query: dict[str, list[str]], now: int, added: int) -> list[Dump]:
    """The files the broker returns for one /data query (see the module's docstring)."""
    intervals = sorted(_interval(v) for v in query.get("intervals[]", []))
    if not intervals:
        return []
    wanted = [d for d in dumps
              if _allowed(query, "projects[]", d.project) and _allowed(query, "collectors[]", d.collector)
              and _allowed(query, "types[]", d.type)]
    min_initial = int(query["minInitialTime"][0]) if "minInitialTime" in query else None
    if min_initial is None:
        min_initial = intervals[0][0]
        query_start = min_initial - START_OFFSET
    elif not any(b <= min_initial and (e == FOREVER or min_initial <= e) for b, e in intervals):
        later = [b for b, _ in intervals if b > min_initial]
        if not later:
            return []
        min_initial = later[0]
        query_start = min_initial - START_OFFSET
    else:
        query_start = min_initial
    limit = now if intervals[-1][1] == FOREVER else min(now, intervals[-1][1])
    retries = 0
    while True:
        window_end = query_start + (retries + 1) * min(QUERY_WINDOW_MAX, QUERY_WINDOW * 2 ** retries)
        last_try = retries > 0 and window_end > limit
        if last_try:
            window_end = limit
        files = [d for d in wanted
                 if any(b - START_OFFSET <= d.initial_time and (e == FOREVER or d.initial_time <= e)
                        for b, e in intervals)
                 and query_start <= d.initial_time <= window_end
                 and added < now and d.initial_time + d.duration + FILE_TIME_OFFSET >= min_initial]
        if "dataAddedSince" in query and int(query["dataAddedSince"][0]) <= added < now:
            files += [d for d in wanted if query_start - 86400 < d.initial_time < query_start]
        if files or last_try:
            break
        retries += 1
    return _complete_groups(sorted(set(files), key=lambda d: (d.initial_time, d.type != "ribs")))


def _complete_groups(files: list[Dump]) -> list[Dump]:
    """Hold back the last of several groups of files overlapping in time (RIBs span initialTime +- duration)."""
    groups: list[list[Dump]] = []
    end = None
    for d in files:
        start = d.initial_time - (d.duration if d.type == "ribs" else 0)
        if end is None or start > end:
            groups.append([])
            end = d.initial_time + d.duration
        else:
            end = max(end, d.initial_time + d.duration)
        groups[-1].append(d)
    if len(groups) > 1:
        groups.pop()
    return [d for group in groups for d in group]


def _interval(text: str) -> tuple[int, int]:
    begin, _, end = text.partition(",")
    return int(begin), int(end or FOREVER)


def _allowed(query: dict[str, list[str]], key: str, value: str) -> bool:
    return key not in query or value in query[key]


def answer(dumps, query: dict[str, list[str]], base_url: str, now: int, added: int) -> dict:
    return {
        "version": 2, "time": now, "type": "data", "error": None,
        "queryParameters": {k: v for k, v in query.items()},
        "data": {"resources": [
            {"project": d.project, "collector": d.collector, "type": d.type, "initialTime": d.initial_time,
             "duration": d.duration, "url": base_url + str(real_path(d)), "transport": "file", "format": "mrt"}
            for d in select(dumps, query, now, added)]},
    }


def real_path(d: Dump) -> Path:
    return (DATA / d.path).resolve()


DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


# -- the server process ---------------------------------------------------------------------------

def _serve(config: dict) -> None:
    dumps = [Dump(**d) for d in config["dumps"]]
    files = {str(real_path(d)): real_path(d) for d in dumps}
    added = int(time.time()) - 60          # every file arrived before the server started
    log_lock = threading.Lock()
    log = open(config["log"], "a", encoding="utf-8")

    def record(entry: dict) -> None:
        with log_lock:
            log.write(json.dumps(entry) + "\n")
            log.flush()

    class Broker(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            host = self.headers.get("Host", "")
            if url.path == BROKER_PATH + "/data":
                query = parse_qs(url.query)
                body = answer(dumps, query, f"http://{host}", int(time.time()), added)
                record({"server": "broker", "path": url.path, "query": query, "host": host,
                        "resources": [r["url"] for r in body["data"]["resources"]]})
                self._send(200, "application/json", json.dumps(body).encode())
            elif url.path in files:
                record({"server": "broker", "path": url.path, "host": host})
                data = files[url.path].read_bytes()
                self._send(200, "application/octet-stream", data)
            else:
                record({"server": "broker", "path": url.path, "host": host, "status": 404})
                self._send(404, "text/plain", b"not here\n")

        def _send(self, status: int, ctype: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):      # the request log above replaces stderr's
            pass

    class Guard(socketserver.StreamRequestHandler):
        """Whatever a proxy would be asked (CONNECT host:443, GET http://host/...): recorded, refused."""
        def handle(self):
            line = self.rfile.readline(8192).decode("latin-1").strip()
            while self.rfile.readline(8192).strip():
                pass
            record({"server": "guard", "request": line})
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    broker = ThreadingHTTPServer(("127.0.0.1", 0), Broker)
    guard = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Guard)
    for server in (broker, guard):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"broker": broker.server_address[1], "guard": guard.server_address[1]}), flush=True)
    sys.stdin.read()                       # until the test closes our stdin


# -- the test's side ------------------------------------------------------------------------------

class LoopbackBroker:
    """Starts the server process; ``url`` is the broker URL option, ``proxy_env()`` the guard's variables."""

    def __init__(self, folder: Path, dumps=CATALOGUE):
        self.dumps = tuple(dumps)
        self._log = Path(folder) / "broker-requests.jsonl"
        config = {"dumps": [asdict(d) for d in self.dumps], "log": str(self._log)}
        self._proc = subprocess.Popen([sys.executable, __file__, json.dumps(config)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        ports = json.loads(self._proc.stdout.readline() or "null")
        if not ports:
            self.close()
            raise RuntimeError("the loopback broker did not start")
        self.url = f"http://127.0.0.1:{ports['broker']}{BROKER_PATH}"
        self.guard = f"http://127.0.0.1:{ports['guard']}"

    def proxy_env(self) -> dict[str, str]:
        """Send every connection but those to 127.0.0.1 to the guard (libcurl reads these variables)."""
        env = {name: self.guard for name in ("http_proxy", "https_proxy", "all_proxy", "HTTPS_PROXY", "ALL_PROXY")}
        env.update(no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")
        return env

    def url_of(self, dump: Dump) -> str:
        return self.url.rsplit(BROKER_PATH, 1)[0] + str(real_path(dump))

    def _entries(self) -> list[dict]:
        if not self._log.exists():
            return []
        return [json.loads(line) for line in self._log.read_text(encoding="utf-8").splitlines()]

    def queries(self) -> list[dict]:
        """The /data queries received, in order: {"query": {...}, "resources": [urls], "host": ...}."""
        return [e for e in self._entries() if e["server"] == "broker" and e["path"].endswith("/data")]

    def downloads(self) -> list[str]:
        """The URL paths of the files fetched, in order."""
        return [e["path"] for e in self._entries() if e["server"] == "broker" and not e["path"].endswith("/data")]

    def leaks(self) -> list[str]:
        """Every request that tried to leave loopback (the guard's request lines)."""
        return [e["request"] for e in self._entries() if e["server"] == "guard"]

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()

    def __enter__(self) -> "LoopbackBroker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
