"""The store's tables, and how a store of an older schema becomes the current one.

Layout, and why:

* ``files``: one row per file the user imported, whatever became of it (status and reason), so
  that a second import of the same content is recognised by its sha256 and skipped.
* ``sessions``: a peer session is (collector, peer IP, peer ASN). ADD-PATH routes of one session
  stay one peer.
* ``prefixes``, ``paths``, ``communities``: each distinct text stored once; elements refer to ids.
* ``elements``: every element read, in file order (``seq``), with microsecond timestamps.
  ``kind`` is 0 for a RIB entry, 1 for an announcement, 2 for a withdrawal.
* ``state_changes``: BGP FSM changes of a session (1 Idle .. 6 Established).
* ``intervals``: the routes held, derived from the three tables above. A row says that
  ``session_id`` held a route to ``prefix_id`` over ``path_id`` from ``start_ts`` (inclusive) to
  ``end_ts`` (exclusive; NULL while nothing imported so far ended it). Every later query ("which
  routes were held at t", "how many sessions saw each prefix at each instant") reads this table.
  ``start_key``/``end_key`` are the ordering keys the derivation uses (see ``intervals.py``);
  ``session_resets`` holds the instants that end all of a session's routes.

No table has a PRIMARY KEY or UNIQUE constraint: there is one writer, it de-duplicates with
anti-joins, and DuckDB's constraint indexes would slow bulk inserts of tens of millions of rows.
Every table is plain columns, so the same layout can be written as Parquet partitioned by
collector and day (``Store.export_parquet``) and read back by DuckDB or a distributed engine.
"""

SCHEMA_VERSION = 2

# Schema 2: the registry, so that a historical window maps prefixes and ASes to countries as the
# Regional Internet Registries had them then (see explorer/registry).
#
# * ``registry_files``: one row per imported registry file: its kind ('delegation', 'asnames',
#   'as2org'), the registry and the date the file describes (from its header, else its name).
# * ``registry_ranges``: address blocks of delegation files. ``lo``/``hi`` (inclusive) are the
#   IPv4 address as a number, or the upper 64 bits of an IPv6 address.
# * ``registry_asns``: AS number blocks of delegation files.
# * ``as_names``: AS names (and the country an AS-names or AS-to-organisation file gives).
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

CREATE = """
CREATE TABLE meta (key VARCHAR, value VARCHAR);

CREATE SEQUENCE file_ids START 1;
CREATE TABLE files (
    file_id       INTEGER,
    path          VARCHAR,
    size          BIGINT,
    sha256        VARCHAR,
    order_key     BIGINT,       -- from sha256: breaks ties between files at one instant, whatever the import order
    kind          VARCHAR,      -- 'rib' | 'updates' | 'legacy' | 'unknown'
    collector     VARCHAR,
    backend       VARCHAR,
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

CREATE TABLE sessions (
    session_id INTEGER,
    collector  VARCHAR,
    peer_ip    VARCHAR,
    peer_asn   UBIGINT
);

CREATE TABLE prefixes (
    prefix_id INTEGER,
    prefix    VARCHAR,
    af        UTINYINT,         -- 4 or 6
    length    UTINYINT
);

CREATE TABLE paths (
    path_id    INTEGER,
    path       VARCHAR,         -- as received, e.g. '2914 1239 4837 131279' or '3 4 {5,6}'
    origin_asn UBIGINT          -- last AS of the path; NULL when the path ends in an AS_SET
);

CREATE TABLE communities (
    community_id INTEGER,
    communities  VARCHAR        -- space separated, in the order received
);

CREATE TABLE elements (
    ts           TIMESTAMP,     -- microseconds
    session_id   INTEGER,
    prefix_id    INTEGER,
    kind         UTINYINT,      -- 0 RIB entry, 1 announcement, 2 withdrawal
    path_id      INTEGER,       -- NULL for withdrawals
    community_id INTEGER,
    file_id      INTEGER,
    seq          INTEGER        -- position in its file
);

CREATE TABLE state_changes (
    ts         TIMESTAMP,
    session_id INTEGER,
    old_state  UTINYINT,
    new_state  UTINYINT,
    file_id    INTEGER,
    seq        INTEGER
);

-- Instants at which a session's routes all end: it left Established, or a complete RIB dump of it
-- was taken (routes it no longer lists are gone). Derived, like intervals.
CREATE TABLE session_resets (
    session_id INTEGER,
    reset_key  BIGINT,
    file_id    INTEGER
);

CREATE TABLE intervals (
    session_id INTEGER,
    prefix_id  INTEGER,
    path_id    INTEGER,
    start_ts   TIMESTAMP,
    end_ts     TIMESTAMP,       -- exclusive; NULL: still held at the end of the data
    start_key  BIGINT,
    end_key    BIGINT
);
""" + REGISTRY

# version -> SQL that brings a store of (version - 1) to version. A later change to the tables adds
# its statements here and raises SCHEMA_VERSION.
MIGRATIONS: dict[int, str] = {2: REGISTRY}
