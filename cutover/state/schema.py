"""The store's schema, as forward migrations. `PRAGMA user_version` is the version.

Add a migration by appending a function to MIGRATIONS; never edit one that has
shipped. Each runs inside the store's write transaction, so a crash leaves the
file at the previous version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection

import sqlite_utils

# ALTER TABLE ... DROP COLUMN came with SQLite 3.35 (2021); a jump host's Python may link an older one (Debian 11:
# 3.34, Ubuntu 20.04: 3.31). There, a table loses columns by being made again without them.
DROP_COLUMN = sqlite3.sqlite_version_info >= (3, 35, 0)


def _v1(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE tenants (
            tenant_id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            size_bytes INTEGER NOT NULL,
            tier TEXT NOT NULL,
            complexity TEXT NOT NULL DEFAULT '',
            criticality TEXT NOT NULL DEFAULT '',
            priority TEXT NOT NULL DEFAULT '',
            wave INTEGER NOT NULL,
            dns_name TEXT NOT NULL,
            hosted_zone TEXT NOT NULL DEFAULT '',
            aws_target TEXT NOT NULL DEFAULT '',
            oci_target TEXT NOT NULL DEFAULT '',
            region TEXT NOT NULL DEFAULT '',
            aws_bucket TEXT NOT NULL DEFAULT '',
            oci_bucket TEXT NOT NULL DEFAULT '',
            baseline_p95_ms REAL,
            baseline_error_rate REAL,
            lifecycle TEXT NOT NULL DEFAULT 'pending',
            lifecycle_since REAL NOT NULL,
            sync_health TEXT NOT NULL DEFAULT '',
            sync_percent REAL,
            sync_eta_s REAL,
            sync_lag_s REAL,
            pending_objects INTEGER,
            pending_bytes INTEGER,
            checksum_mismatches INTEGER,
            last_pass_at REAL,
            verified_at REAL,
            backends_healthy INTEGER,
            backends_total INTEGER,
            health_at REAL,
            validation_passed INTEGER,
            validation_total INTEGER,
            validated_at REAL,
            hydrated_at REAL,
            monitoring_until REAL,
            observed_at REAL,
            imported_at REAL NOT NULL,
            import_source TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 1
        )
        """
    )
    db.execute("CREATE INDEX tenants_wave ON tenants (wave, lifecycle)")
    db.execute("CREATE INDEX tenants_lifecycle ON tenants (lifecycle)")

    # The audit trail: append-only, each row chained to the previous by SHA-256.
    db.execute(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            wall_ts TEXT NOT NULL,
            operator TEXT NOT NULL,
            host TEXT NOT NULL,
            ssh_client TEXT NOT NULL DEFAULT '',
            tenant_id TEXT,
            job_id TEXT,
            kind TEXT NOT NULL,
            what TEXT NOT NULL,
            why TEXT NOT NULL DEFAULT '',
            state_before TEXT NOT NULL DEFAULT '',
            state_after TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX events_tenant ON events (tenant_id, seq)")
    db.execute("CREATE INDEX events_job ON events (job_id, seq)")
    db.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    )
    # The last appended event, written in the same transaction: catches a
    # deleted or forged tail, which a chain alone cannot.
    db.execute(
        "CREATE TABLE chain_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)"
    )

    db.execute(
        """
        CREATE TABLE metric_samples (
            tenant_id TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('aws', 'oci')),
            measured_at REAL NOT NULL,
            requests REAL,
            errors REAL,
            p95_ms REAL,
            source TEXT NOT NULL,
            PRIMARY KEY (tenant_id, side, measured_at)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX metric_samples_age ON metric_samples (measured_at)")

    db.execute(
        """
        CREATE TABLE jobs (
            job_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            targets TEXT NOT NULL,
            params TEXT NOT NULL DEFAULT '{}',
            operator TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            idempotency_key TEXT NOT NULL UNIQUE,
            parent_job_id TEXT REFERENCES jobs (job_id),
            dry_run INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            started_at REAL,
            ended_at REAL,
            result TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX jobs_state ON jobs (state)")
    db.execute(
        """
        CREATE TABLE job_steps (
            step_id INTEGER PRIMARY KEY,
            job_id TEXT NOT NULL REFERENCES jobs (job_id),
            tenant_id TEXT,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            started_at REAL,
            ended_at REAL,
            result TEXT NOT NULL DEFAULT '',
            request_ids TEXT NOT NULL DEFAULT '[]',
            detail TEXT NOT NULL DEFAULT '{}',
            UNIQUE (job_id, tenant_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            holder_info TEXT NOT NULL DEFAULT '{}',
            acquired_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )
        """
    )


def _v2_live_view(db: sqlite_utils.Database) -> None:
    """What the engine last observed of each tenant's traffic, for every console to read,
    and how each data source is doing (freshness in the header, errors in the alerts)."""
    for column, kind in (
        ("dns_oci_share", "REAL"),  # the share DNS sends to OCI: 0, 1, a weight ratio; NULL unknown
        ("dns_routing", "TEXT NOT NULL DEFAULT ''"),  # the record as read, in words
        ("dns_at", "REAL"),
        ("observed_oci_share", "REAL"),  # the share OCI actually served
        ("requests", "REAL"),  # requests in the last metrics period, both sides
        ("error_rate", "REAL"),  # 5xx over requests, both sides
        ("p95_ms", "REAL"),
        ("metrics_at", "REAL"),
    ):
        db.execute(f"ALTER TABLE tenants ADD COLUMN {column} {kind}")
    db.execute(
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            interval_s REAL NOT NULL,
            last_ok_at REAL,
            last_error_at REAL,
            last_error TEXT NOT NULL DEFAULT '',
            consecutive_errors INTEGER NOT NULL DEFAULT 0
        )
        """
    )


def _v3_cloud_ids(db: sqlite_utils.Database) -> None:
    """Optional matrix columns naming where the real providers find a tenant."""
    for column in ("aws_load_balancer", "aws_target_group", "oci_load_balancer", "oci_backend_set"):
        db.execute(f"ALTER TABLE tenants ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


def _engine_jobs(db: sqlite_utils.Database) -> None:
    """The action engine: job control and per-tenant outcomes, tenant locks, lease
    epochs for fencing, the triggers' last verdicts, and cursors (the notifier's outbox)."""
    for column, kind in (
        ("seq", "INTEGER"),  # the job's number, shown in its id: batch-12
        ("control", "TEXT NOT NULL DEFAULT ''"),  # an operator's request: pause, resume, skip, abort
        ("control_by", "TEXT NOT NULL DEFAULT ''"),
        ("held_reason", "TEXT NOT NULL DEFAULT ''"),  # why a held or paused job waits for a human
        ("updated_at", "REAL"),
        ("runner", "TEXT NOT NULL DEFAULT ''"),  # the engine (lease holder) that runs it
    ):
        db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
    db.execute("CREATE UNIQUE INDEX jobs_seq ON jobs (seq)")
    db.execute(
        """
        CREATE TABLE job_targets (
            job_id TEXT NOT NULL REFERENCES jobs (job_id),
            tenant_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            group_no INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            started_at REAL,
            ended_at REAL,
            summary TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (job_id, tenant_id)
        )
        """
    )
    db.execute("CREATE INDEX job_targets_tenant ON job_targets (tenant_id)")
    db.execute(
        """
        CREATE TABLE tenant_locks (
            tenant_id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL REFERENCES jobs (job_id),
            acquired_at REAL NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX tenant_locks_job ON tenant_locks (job_id)")
    db.execute("ALTER TABLE leases ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """
        CREATE TABLE trigger_status (
            tenant_id TEXT NOT NULL,
            rule TEXT NOT NULL,
            outcome TEXT NOT NULL,
            value REAL,
            breaching_since REAL,
            evaluated_at REAL NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (tenant_id, rule)
        )
        """
    )
    db.execute("CREATE TABLE cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL)")
    db.execute("CREATE INDEX events_kind ON events (kind, seq)")


def _sim_world(db: sqlite_utils.Database) -> None:
    """The simulated fleet's world: its clock, DNS records and their history, the
    sync and hydration jobs it was asked to run, injected faults, posted messages.

    Only what changes the world is kept; traffic, metrics, lag and backend health
    are computed from these rows, the world time and the seed.
    """
    db.execute(
        """
        CREATE TABLE sim_world (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seed INTEGER NOT NULL,
            created_at REAL NOT NULL,
            fleet TEXT NOT NULL,
            ambient_faults INTEGER NOT NULL DEFAULT 1,
            anchor_world REAL NOT NULL,
            anchor_wall REAL NOT NULL,
            speed REAL NOT NULL,
            alive_wall REAL,
            generation INTEGER NOT NULL DEFAULT 0,
            scenario TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sim_dns_records (
            tenant_id TEXT PRIMARY KEY,
            zone TEXT NOT NULL,
            name TEXT NOT NULL,
            routing TEXT NOT NULL,
            version INTEGER NOT NULL,
            changed_at REAL NOT NULL,
            visible_at REAL NOT NULL,
            before_oci REAL NOT NULL,
            before_lost REAL NOT NULL,
            before_ttl INTEGER NOT NULL,
            gen INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sim_dns_changes (
            seq INTEGER PRIMARY KEY,
            change_id TEXT NOT NULL,
            zone TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            from_routing TEXT NOT NULL,
            to_routing TEXT NOT NULL,
            submitted_at REAL NOT NULL,
            insync_at REAL NOT NULL,
            cutover INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX sim_dns_records_gen ON sim_dns_records (gen)")
    db.execute("CREATE INDEX sim_dns_changes_change ON sim_dns_changes (change_id)")
    db.execute("CREATE INDEX sim_dns_changes_tenant ON sim_dns_changes (tenant_id, seq)")
    db.execute(
        """
        CREATE TABLE sim_jobs (
            job_id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            started_at REAL NOT NULL,
            duration_s REAL,
            seeded INTEGER NOT NULL DEFAULT 0,
            gen INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX sim_jobs_tenant ON sim_jobs (tenant_id, kind, started_at)")
    db.execute("CREATE INDEX sim_jobs_gen ON sim_jobs (gen)")
    db.execute(
        """
        CREATE TABLE sim_faults (
            fault_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            targets TEXT,
            start_at REAL,
            after_cutover_s REAL,
            duration_s REAL,
            params TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            added_at REAL NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sim_notifications (
            seq INTEGER PRIMARY KEY,
            posted_at REAL NOT NULL,
            severity TEXT NOT NULL,
            text TEXT NOT NULL,
            tenant_id TEXT,
            job_id TEXT
        )
        """
    )


def _sources_reporting_delay(db: sqlite_utils.Database) -> None:
    """Each source's own reporting delay (CloudWatch publishes minutes late), part of its staleness bound."""
    db.execute("ALTER TABLE sources ADD COLUMN reporting_delay_s REAL NOT NULL DEFAULT 0")


def _trigger_streaks(db: sqlite_utils.Database) -> None:
    """When a breaching streak was last seen, so an engine taking over carries the streak on."""
    db.execute("ALTER TABLE trigger_status ADD COLUMN measured_at REAL")


def _sim_dns_fence(db: sqlite_utils.Database) -> None:
    """The simulated DNS keeps each name's fencing TXT record, as the real zones do."""
    db.execute("ALTER TABLE sim_dns_records ADD COLUMN fence TEXT NOT NULL DEFAULT ''")


def _job_paused_by(db: sqlite_utils.Database) -> None:
    """Who paused a job, kept while it is also held: a pause never hides a stopped line."""
    db.execute("ALTER TABLE jobs ADD COLUMN paused_by TEXT NOT NULL DEFAULT ''")


def _audit_seal(db: sqlite_utils.Database) -> None:
    """A second witness of the audit trail's length, written with every append: a trail whose events
    and chain head were both deleted still shows how many events it had. The head and the seal
    refuse deletes and never move back (an attacker must drop triggers, which the chain then catches)."""
    db.execute("CREATE TABLE audit_seal (id INTEGER PRIMARY KEY CHECK (id = 1), events INTEGER NOT NULL)")
    db.execute("INSERT INTO audit_seal (id, events) SELECT 1, seq FROM chain_head")
    for table, column in (("chain_head", "seq"), ("audit_seal", "events")):
        db.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )
        db.execute(
            f"CREATE TRIGGER {table}_no_rewind BEFORE UPDATE ON {table} WHEN NEW.{column} < OLD.{column} "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )


def _dns_ttl_history(db: sqlite_utils.Database) -> None:
    """Each tenant's record TTL as read, since when it has been that TTL, the one before it, and when
    no resolver can still cache a longer one (the gate's DNS readiness)."""
    for column, kind in (
        ("dns_ttl", "INTEGER"),
        ("dns_ttl_since", "REAL"),
        ("dns_ttl_before", "INTEGER"),
        ("dns_ttl_safe_at", "REAL"),
    ):
        db.execute(f"ALTER TABLE tenants ADD COLUMN {column} {kind}")


def _tenant_holds(db: sqlite_utils.Database) -> None:
    """Tenants an operator keeps out of the queue (a customer asked to reschedule), for good or until a time."""
    db.execute(
        """
        CREATE TABLE tenant_holds (
            tenant_id TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            not_before REAL,
            held_by TEXT NOT NULL,
            held_at REAL NOT NULL
        )
        """
    )


def _night_signoffs(db: sqlite_utils.Database) -> None:
    """The night's go/no-go: each checklist item's latest decision (go or no-go), who signed it and why."""
    db.execute(
        """
        CREATE TABLE night_signoffs (
            night TEXT NOT NULL,
            item TEXT NOT NULL,
            decision TEXT NOT NULL,
            role TEXT NOT NULL,
            operator TEXT NOT NULL,
            host TEXT NOT NULL,
            reason TEXT NOT NULL,
            signed_at REAL NOT NULL,
            PRIMARY KEY (night, item)
        )
        """
    )


def _rollback_readiness(db: sqlite_utils.Database) -> None:
    """Each tenant's way back as the engine last measured it: what a rollback would strand on OCI (objects,
    bytes, since when the sides were last proven equal) and the AWS side's health, or why it could not."""
    db.execute(
        """
        CREATE TABLE rollback_readiness (
            tenant_id TEXT PRIMARY KEY,
            measured_at REAL NOT NULL,
            stranded_objects INTEGER,
            stranded_bytes INTEGER,
            compared INTEGER,
            since REAL,
            since_what TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT '',
            aws_side TEXT NOT NULL DEFAULT '',
            reverse_at REAL
        )
        """
    )


def _readiness_aws_targets(db: sqlite_utils.Database) -> None:
    """The AWS side's target health of a tenant on OCI, as last measured (NULL: not measured)."""
    for column, kind in (("aws_healthy", "INTEGER"), ("aws_total", "INTEGER"), ("aws_measured_at", "REAL")):
        db.execute(f"ALTER TABLE rollback_readiness ADD COLUMN {column} {kind}")


def _extra_dns_names(db: sqlite_utils.Database) -> None:
    """Tenants with several DNS names (moved atomically): the matrix's extra names, each name's last read,
    and the simulated DNS's records of the extra names (the first name stays in sim_dns_records)."""
    db.execute("ALTER TABLE tenants ADD COLUMN extra_dns_names TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE tenants ADD COLUMN dns_names_seen TEXT NOT NULL DEFAULT ''")
    db.execute(
        """
        CREATE TABLE sim_dns_names (
            tenant_id TEXT NOT NULL,
            name TEXT NOT NULL,
            zone TEXT NOT NULL,
            routing TEXT NOT NULL,
            version INTEGER NOT NULL,
            changed_at REAL NOT NULL,
            fence TEXT NOT NULL DEFAULT '',
            gen INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tenant_id, name)
        )
        """
    )
    db.execute("ALTER TABLE sim_dns_changes ADD COLUMN name TEXT NOT NULL DEFAULT ''")


def _coarse_samples(db: sqlite_utils.Database) -> None:
    """Samples kept at a coarse resolution (state/samples.py): one row per tenant and bucket, both sides in it,
    requests and errors summed over the bucket, p95 its worst; `at` is the bucket's start, whole seconds."""
    db.execute(
        """
        CREATE TABLE metric_coarse (
            tenant_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            aws_requests REAL,
            aws_errors REAL,
            aws_p95_ms REAL,
            aws_source TEXT,
            oci_requests REAL,
            oci_errors REAL,
            oci_p95_ms REAL,
            oci_source TEXT,
            PRIMARY KEY (tenant_id, at)
        ) WITHOUT ROWID
        """
    )


def _tenant_revisions(db: sqlite_utils.Database) -> None:
    """The change feed: each tenant row's revision, from one store-wide counter (the highest revision in the
    table), raised by every write that changes what a reader shows of the row (state/tenants.py), so a reader
    asks for the rows changed since the revision it last saw (`TenantStore.changed_since`). A row's own
    `version` (its count of lifecycle and matrix changes) is unchanged. Existing rows get distinct revisions."""
    db.execute("ALTER TABLE tenants ADD COLUMN revision INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE tenants SET revision = rowid")
    db.execute("CREATE INDEX tenants_revision ON tenants (revision)")


def _steady_revisions(db: sqlite_utils.Database) -> None:
    """A second mark of the change feed's counter on each tenant row: the revision of its last change to anything
    but the figures whole-fleet polls measure (`MEASURED_FIGURES` in state/tenants.py), which they change on many
    rows every poll. A reader that does not use them (the engine's copy of the fleet) asks for
    the rows whose steady revision moved (`TenantStore.changed_since(..., steady=True)`), not every row a
    minute. Existing rows start at their revision."""
    db.execute("ALTER TABLE tenants ADD COLUMN steady_revision INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE tenants SET steady_revision = revision")
    db.execute("CREATE INDEX tenants_steady_revision ON tenants (steady_revision)")


# A tenant's readings (schema 20): what the whole-fleet polls measure of it and when each was last confirmed, in
# a narrow table of their own. Each column, as the tenants table had it.
READING_COLUMNS = (
    ("observed_at", "REAL"),
    ("metrics_at", "REAL"),
    ("dns_at", "REAL"),
    ("health_at", "REAL"),
    ("observed_oci_share", "REAL"),
    ("requests", "REAL"),
    ("error_rate", "REAL"),
    ("p95_ms", "REAL"),
    ("sync_percent", "REAL"),
    ("sync_eta_s", "REAL"),
    ("sync_lag_s", "REAL"),
    ("pending_objects", "INTEGER"),
    ("pending_bytes", "INTEGER"),
    ("checksum_mismatches", "INTEGER"),
    ("last_pass_at", "REAL"),
    ("backends_healthy", "INTEGER"),
    ("backends_total", "INTEGER"),
)


def _tenant_readings(db: sqlite_utils.Database) -> None:
    """A tenant's measured figures and confirmation times move to `tenant_readings`, one narrow row a tenant.
    Every whole-fleet poll confirms a time on nearly every tenant and the metrics poll changes the live figures
    of every tenant with traffic: in the tenants table each such write rewrote a 60-column row, most of the
    poll cycle's SQL at 50,000 tenants. The readings row has its own mark of the change feed's counter
    (`readings_revision`, raised when a figure changes); the tenants table's `revision` is what
    `steady_revision` was (the last change to anything else), so a row's revision in the feed is the greater
    of the two. Every reader of a tenant reads the two joined (state/tenants.py `TENANT_ROWS`)."""
    names = [name for name, _ in READING_COLUMNS]
    columns = ",\n".join(f"            {name} {kind}" for name, kind in READING_COLUMNS)
    db.execute(
        f"""
        CREATE TABLE tenant_readings (
            tenant_id TEXT PRIMARY KEY,
            readings_revision INTEGER NOT NULL DEFAULT 0,
{columns}
        ) WITHOUT ROWID
        """
    )
    db.execute(
        f"INSERT INTO tenant_readings (tenant_id, readings_revision, {', '.join(names)}) "
        f"SELECT tenant_id, revision, {', '.join(names)} FROM tenants"
    )
    db.execute("CREATE INDEX tenant_readings_revision ON tenant_readings (readings_revision)")
    db.execute("UPDATE tenants SET revision = steady_revision")
    db.execute("DROP INDEX tenants_steady_revision")
    _drop_columns(db, "tenants", ("steady_revision", *names))


def _drop_columns(db: sqlite_utils.Database, table: str, dropped: Collection[str]) -> None:
    """`table` without the columns `dropped` (none of them in an index), its rows, key and indexes kept: by
    ALTER TABLE ... DROP COLUMN, or where this SQLite predates it, by making the table again without them."""
    if DROP_COLUMN:
        for name in dropped:
            db.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        return
    kept = [column for column in db.execute(f"PRAGMA table_info({table})").fetchall() if column[1] not in dropped]
    definitions = []
    for _, name, kind, not_null, default, key in kept:
        definitions.append(
            f"{name} {kind}{' PRIMARY KEY' if key else ''}{' NOT NULL' if not_null else ''}"
            + (f" DEFAULT {default}" if default is not None else "")
        )
    indexes = [
        sql
        for (sql,) in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table]
        ).fetchall()
    ]
    names = ", ".join(column[1] for column in kept)
    # The rows set aside, the table made again under its own name (so that PostgreSQL, which records these
    # statements for its own upgrade, names its key as a new store's), the rows put back.
    db.execute(f"CREATE TABLE {table}_kept AS SELECT {names} FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"CREATE TABLE {table} ({', '.join(definitions)})")
    db.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}_kept")
    db.execute(f"DROP TABLE {table}_kept")
    for sql in indexes:
        db.execute(sql)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1,
    _v2_live_view,
    _v3_cloud_ids,
    _engine_jobs,
    _sim_world,
    _sources_reporting_delay,
    _trigger_streaks,
    _sim_dns_fence,
    _job_paused_by,
    _audit_seal,
    _dns_ttl_history,
    _tenant_holds,
    _night_signoffs,
    _rollback_readiness,
    _readiness_aws_targets,
    _extra_dns_names,
    _coarse_samples,
    _tenant_revisions,
    _steady_revisions,
    _tenant_readings,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    pass


def migrate(db: sqlite_utils.Database, upto: int = SCHEMA_VERSION) -> int:
    """Bring the file up to SCHEMA_VERSION (or `upto`: the PostgreSQL store's schema as an older cutover made
    it). Must run inside a write transaction."""
    current = int(db.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(f"this store has schema {current} but this cutover knows {SCHEMA_VERSION}: upgrade cutover")
    for version in range(current, upto):
        MIGRATIONS[version](db)
        db.execute(f"PRAGMA user_version = {version + 1}")
    return upto
