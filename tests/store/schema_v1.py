"""The store's tables as schema version 1 created them (kept here verbatim to test the migration)."""

V1_CREATE = """
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

"""


def make_v1_store(path, meta_rows: str = "('schema_version', '1'), ('created_by', 'bgp-explorer 0.1.0')"):
    """A store file as schema version 1 left it, with no data."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(V1_CREATE)
    con.execute(f"INSERT INTO meta VALUES {meta_rows}")
    con.close()
    return path
