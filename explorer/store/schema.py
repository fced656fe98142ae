"""The store's tables, and how a store of an older schema becomes the current one.

Layout (schema 4), and why:

* ``files``: one row per file the user imported, whatever became of it (status and reason), so
  that a second import of the same content (and filter) is recognised by its sha256 and skipped.
* ``sessions``: a peer session is (collector, peer IP, peer ASN); its id is a hash of the three
  (``explorer.store.ids``), so any process computes it without asking the store.
* ``prefix_names``: the text of every IPv6 prefix (IPv4 texts follow from their ids).
* ``prefix_set``: every prefix id the routes hold, as one compressed array (``prefix_set.py``), so
  that a reader has the store's prefixes without scanning its routes.
* ``routes_open`` and ``routes``: one row per element (RIB entry, announcement, withdrawal).
  ``start_key`` orders events (``intervals.py``); a RIB entry's is its dump's snapshot time. A
  row of an announcement or RIB entry is also the route it started: held by ``session_id`` for
  ``prefix_id`` over ``path`` from ``start_key`` to ``end_key`` (exclusive). Routes still held
  (``end_key`` unknown) live in ``routes_open``, which stays as small as the routing tables the
  collectors' sessions hold; a route that ends moves to ``routes``, which only grows, in time
  order, so its zone maps skip old days. A withdrawal's row goes to ``routes`` with
  ``end_key = start_key``. Each batch writes the routes that ended sorted by ``cluster``, the
  country of the prefix (``clusters.py``), so a country's question reads its row groups of
  ``routes`` only (``routes_open``, the size of the routing tables, is read whole). Paths are
  kept as their text: DuckDB's dictionary and FSST compression store them in fewer bytes than a
  64-bit id plus a table of texts would.
* Rows are stored a batch of files at a time (``imports.store_batch``), with the routes they change
  derived in the same transaction: one pass over the open routes per batch, not per file. Within
  a cluster, rows keep the order the parser staged them in: update files in file order (one
  message's prefixes share a path), RIB dumps sorted by session and prefix (a session's table
  then takes a few bytes a row).
* ``state_changes``: BGP FSM changes of a session (1 Idle .. 6 Established).
* ``session_resets``: instants that end all of a session's routes (it left Established, or a
  complete RIB dump of it was taken).

What the analyses do not read is not kept: communities, next hops and the other attributes.
The filter reads communities while the file is parsed.

Times: ``start_key``/``end_key`` are ``microseconds * 4 + phase``; ``intervals`` (a view) gives
them as timestamps too. No table has a PRIMARY KEY or UNIQUE constraint: there is one writer, it
de-duplicates with anti-joins, and DuckDB's constraint indexes would slow bulk inserts.
"""

from __future__ import annotations

SCHEMA_VERSION = 4

# Schema 2: the registry, so that a historical window maps prefixes and ASes to countries as the
# Regional Internet Registries had them then (see explorer/registry).
REGISTRY = """
CREATE SEQUENCE registry_file_ids START 1;
CREATE TABLE registry_files (
    file_id     INTEGER,
    path        VARCHAR,
    sha256      VARCHAR,
    kind        VARCHAR,        -- 'delegation' | 'asnames' | 'as2org'
    registry    VARCHAR,        -- 'apnic', 'lacnic', ... ; NULL for name files
    file_date   DATE,           -- the day the file describes
    records     BIGINT,
    imported_at TIMESTAMP
);
CREATE TABLE registry_ranges (file_id INTEGER, af UTINYINT, lo UBIGINT, hi UBIGINT, cc VARCHAR);
CREATE TABLE registry_asns (file_id INTEGER, lo UBIGINT, hi UBIGINT, cc VARCHAR);
CREATE TABLE as_names (file_id INTEGER, asn UBIGINT, name VARCHAR, cc VARCHAR);
"""

_ROW = """
    session_id BIGINT,
    prefix_id  BIGINT,
    kind       UTINYINT,        -- 0 RIB entry, 1 announcement, 2 withdrawal
    start_key  BIGINT,          -- microseconds * 4 + phase (intervals.py)
    path       VARCHAR,         -- as received, e.g. '2914 1239 4837 131279' or '3 4 {5,6}'; NULL: withdrawal
    file_id    INTEGER,
    seq        INTEGER          -- position in its file
"""

ROUTES = f"""
CREATE TABLE routes_open ({_ROW}, end_key BIGINT);
CREATE TABLE routes ({_ROW}, end_key BIGINT, cluster USMALLINT);   -- cluster: clusters.py
CREATE TABLE prefix_names (prefix_id BIGINT, prefix VARCHAR);
CREATE TABLE prefix_set (ids BLOB, n BIGINT);     -- every prefix id held, compressed (prefix_set.py)
CREATE TABLE state_changes (
    ts         TIMESTAMP,
    session_id BIGINT,
    old_state  UTINYINT,
    new_state  UTINYINT,
    file_id    INTEGER,
    seq        INTEGER
);
CREATE TABLE session_resets (session_id BIGINT, reset_key BIGINT, file_id INTEGER);
"""

SESSIONS = """
CREATE TABLE sessions (
    session_id BIGINT,
    collector  VARCHAR,
    peer_ip    VARCHAR,
    peer_asn   UBIGINT
);
"""

FILES = """
CREATE SEQUENCE file_ids START 1;
CREATE TABLE files (
    file_id       INTEGER,
    path          VARCHAR,
    size          BIGINT,
    sha256        VARCHAR,
    order_key     BIGINT,       -- from sha256: breaks ties between files at one instant, whatever the import order
    kind          VARCHAR,      -- 'rib' | 'updates' | 'legacy' | 'unknown'
    collector     VARCHAR,
    backend       VARCHAR,      -- the backend whose reading was kept
    first_ts      TIMESTAMP,
    last_ts       TIMESTAMP,
    snapshot_ts   TIMESTAMP,    -- RIB dumps: the instant the dump describes (first record)
    rib_entries   BIGINT,
    announcements BIGINT,
    withdrawals   BIGINT,
    state_changes BIGINT,
    records       BIGINT,
    status        VARCHAR,      -- 'ok' | 'truncated' | 'damaged' | 'unsupported' | 'failed'
    reason        VARCHAR,
    filter        VARCHAR,
    imported_at   TIMESTAMP,
    elapsed_s     DOUBLE
);
"""

# Readers' views: the routes held (with timestamps), every element, and the text of an IPv4 prefix id
# (IPv6 texts are in prefix_names: coalesce(n.prefix, v4_text(prefix_id)) with a LEFT JOIN).
VIEWS = """
CREATE MACRO v4_text(id) AS printf('%d.%d.%d.%d/%d', (id >> 30) & 255, (id >> 22) & 255, (id >> 14) & 255,
                                   (id >> 6) & 255, id & 63);
-- Every prefix of the store with its text, for reading by hand (a scan of the routes: the analyses
-- keep their own index, explorer/store/prefix_index.py).
CREATE VIEW prefixes AS
    SELECT d.prefix_id, coalesce(n.prefix, v4_text(d.prefix_id)) AS prefix,
           CASE WHEN d.prefix_id < 274877906944 THEN 4 ELSE 6 END AS af,
           CASE WHEN d.prefix_id < 274877906944 THEN d.prefix_id & 63
                ELSE CAST(split_part(n.prefix, '/', 2) AS INTEGER) END AS length
    FROM (SELECT DISTINCT prefix_id FROM routes_open UNION SELECT DISTINCT prefix_id FROM routes) d
    LEFT JOIN prefix_names n USING (prefix_id);
-- Every element, for reading by hand and checking: a RIB entry's time is its dump's.
CREATE VIEW elements AS
    SELECT make_timestamp(start_key // 4) AS ts, session_id, prefix_id, kind, path, file_id, seq FROM routes
    UNION ALL
    SELECT make_timestamp(start_key // 4), session_id, prefix_id, kind, path, file_id, seq FROM routes_open;
CREATE VIEW intervals AS
    SELECT session_id, prefix_id, path, start_key, end_key, make_timestamp(start_key // 4) AS start_ts,
           make_timestamp(end_key // 4) AS end_ts, kind, file_id
    FROM routes WHERE kind <> 2
    UNION ALL
    SELECT session_id, prefix_id, path, start_key, NULL, make_timestamp(start_key // 4), NULL, kind, file_id
    FROM routes_open;
"""

CREATE = "CREATE TABLE meta (key VARCHAR, value VARCHAR);" + FILES + SESSIONS + ROUTES + VIEWS + REGISTRY
