//! The Odoo side: what is there (preflight, before anything is written to the target), and the
//! read-only repeatable-read snapshot every load and sync reads from.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use postgres::{Client, IsolationLevel, Transaction};
use serde::Serialize;

use crate::error::{DbContext, EtlError, Result, Side};
use crate::streams::{self, Stream, STREAMS};

/// The columns the source has, per table, as the preflight found them: what decides how an
/// optional column is read (`Stream::source_select`).
#[derive(Clone, Debug, Default)]
pub struct SourceShape {
    columns: BTreeMap<String, BTreeSet<String>>,
}

impl SourceShape {
    pub fn has(&self, table: &str, column: &str) -> bool {
        self.columns.get(table).is_some_and(|c| c.contains(column))
    }

    /// A shape with these tables and columns (tests).
    pub fn of(tables: &[(&str, &[&str])]) -> SourceShape {
        SourceShape {
            columns: tables
                .iter()
                .map(|(t, cols)| (t.to_string(), cols.iter().map(|c| c.to_string()).collect()))
                .collect(),
        }
    }
}

/// The columns present in the source's `public` schema, per table.
fn columns(client: &mut Client) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let tables: Vec<&str> = STREAMS.iter().map(|s| s.source_table).collect();
    let rows = client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = ANY($1)",
            &[&tables],
        )
        .db(Side::Source, "inspecting the source tables")?;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        out.entry(row.get(0)).or_default().insert(row.get(1));
    }
    Ok(out)
}

/// What a stream lacks in the source: whole tables, or `table.column` (`optional`: the optional
/// columns it lacks, read as NULL; otherwise the required ones).
fn missing_for(
    stream: &Stream,
    present: &BTreeMap<String, BTreeSet<String>>,
    optional: bool,
) -> Vec<String> {
    match present.get(stream.source_table) {
        None if optional => Vec::new(),
        None => vec![stream.source_table.to_string()],
        Some(cols) => stream
            .columns
            .iter()
            .filter(|c| c.optional == optional && !cols.contains(c.source))
            .map(|c| format!("{}.{}", stream.source_table, c.source))
            .collect(),
    }
}

/// Fail, naming everything missing, unless the source has what `selected` streams read; the
/// source's shape otherwise (which optional columns it has).
pub fn preflight(client: &mut Client, selected: &[&'static Stream]) -> Result<SourceShape> {
    let present = columns(client)?;
    let mut odoo_missing = BTreeSet::new();
    let mut addon_missing = BTreeSet::new();
    for stream in selected {
        for what in missing_for(stream, &present, false) {
            let addon_column = what
                .split_once('.')
                .is_some_and(|(t, c)| streams::is_addon_column(t, c));
            if stream.addon && (addon_column || !what.contains('.')) {
                addon_missing.insert(what);
            } else {
                odoo_missing.insert(what);
            }
        }
    }
    if !odoo_missing.is_empty() {
        return Err(EtlError::MissingTable {
            tables: odoo_missing.into_iter().collect(),
        });
    }
    if !addon_missing.is_empty() {
        return Err(EtlError::AddonMissing {
            missing: addon_missing.into_iter().collect(),
            odoo_only: STREAMS
                .iter()
                .filter(|s| !s.addon)
                .map(|s| s.name.to_string())
                .collect(),
        });
    }
    Ok(SourceShape { columns: present })
}

/// A consistent read-only view of the source and its transaction horizon.
pub struct Snapshot {
    /// `pg_snapshot_xmin` of this snapshot, as a full 64-bit transaction id: every
    /// transaction below it had finished when the snapshot was taken.
    pub horizon: i64,
    /// The next transaction id to be assigned (`pg_snapshot_xmax`).
    pub xmax: i64,
    /// When it was taken, by this process's clock (lag is measured on one clock).
    pub taken_at: DateTime<Utc>,
    /// The start (UTC, as Odoo stamps write_date) of the oldest transaction open on the source
    /// just before the snapshot was taken, or the server's now() when none was: every row this
    /// snapshot cannot see yet and Odoo's ORM stamps will carry a write_date at or after it.
    /// `None` when pg_stat_activity hides other sessions' transactions from the ETL's role
    /// (then a write_date range cannot be bounded and the ranged sync does not use one).
    pub oldest_start: Option<NaiveDateTime>,
}

/// How far before the oldest open transaction's start a write_date range begins (clock steps).
const WRITE_DATE_MARGIN_S: i64 = 10;

/// Open a REPEATABLE READ READ ONLY transaction; its first statement fixes the snapshot.
pub fn snapshot(client: &mut Client) -> Result<(Transaction<'_>, Snapshot)> {
    // Read before the snapshot: a transaction that ends between this read and the snapshot is
    // visible to the snapshot; one that starts after this read starts after its now().
    // Sessions of another role show a NULL state without pg_read_all_stats: unknown, then.
    let oldest_start: Option<NaiveDateTime> = client
        .query_one(
            "SELECT CASE WHEN bool_or(state IS NULL) THEN NULL
                         ELSE (least(min(xact_start), now()) AT TIME ZONE 'UTC') - make_interval(secs => $1) END
             FROM pg_stat_activity
             WHERE datname = current_database() AND backend_type = 'client backend'",
            &[&(WRITE_DATE_MARGIN_S as f64)],
        )
        .db(Side::Source, "reading the oldest open transaction")?
        .get(0);
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .db(Side::Source, "opening a read-only snapshot")?;
    let taken_at = Utc::now();
    let row = tx
        .query_one(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
                    pg_snapshot_xmax(pg_current_snapshot())::text::bigint",
            &[],
        )
        .db(Side::Source, "reading the snapshot horizon")?;
    let snap = Snapshot {
        horizon: row.get(0),
        xmax: row.get(1),
        taken_at,
        oldest_start,
    };
    Ok((tx, snap))
}

/// The source as the ETL sees it, and proof that its connection cannot write.
#[derive(Debug, Serialize)]
pub struct SourceCheck {
    pub dsn: String,
    pub server_version: String,
    pub streams_available: Vec<String>,
    pub missing: BTreeMap<String, Vec<String>>,
    /// Columns of a later addon version the source lacks: the stream loads them as NULL.
    pub optional_missing: BTreeMap<String, Vec<String>>,
    pub addon_installed: bool,
    /// A write attempted through the ETL's source connection was refused by the server.
    pub read_only_enforced: bool,
    pub read_only_error: Option<String>,
}

pub fn check(client: &mut Client, dsn: String) -> Result<SourceCheck> {
    let present = columns(client)?;
    let mut available = Vec::new();
    let mut missing = BTreeMap::new();
    let mut optional_missing = BTreeMap::new();
    for stream in STREAMS {
        let lacks = missing_for(stream, &present, false);
        if lacks.is_empty() {
            available.push(stream.name.to_string());
        } else {
            missing.insert(stream.name.to_string(), lacks);
        }
        let absent = missing_for(stream, &present, true);
        if !absent.is_empty() {
            optional_missing.insert(stream.name.to_string(), absent);
        }
    }
    let addon_installed = STREAMS
        .iter()
        .filter(|s| s.addon)
        .all(|s| !missing.contains_key(s.name));
    let server_version: String = client
        .query_one("SHOW server_version", &[])
        .db(Side::Source, "reading the server version")?
        .get(0);
    // The probe writes nothing even if it were allowed: it is rolled back. It must be refused.
    let (read_only_enforced, read_only_error) = {
        let mut tx = client
            .transaction()
            .db(Side::Source, "opening the read-only probe")?;
        let outcome = tx.batch_execute("CREATE TEMP TABLE aba_etl_write_probe (x int)");
        drop(tx);
        match outcome {
            Ok(()) => (false, None),
            Err(err) => {
                let refused =
                    err.code() == Some(&postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION);
                let text = err
                    .as_db_error()
                    .map(|e| e.message().to_string())
                    .unwrap_or_else(|| err.to_string());
                (refused, Some(text))
            }
        }
    };
    Ok(SourceCheck {
        dsn,
        server_version,
        streams_available: available,
        missing,
        optional_missing,
        addon_installed,
        read_only_enforced,
        read_only_error,
    })
}

/// Inspect a source from its DSN alone (no target needed).
pub fn check_dsn(source_dsn: &str) -> Result<SourceCheck> {
    let dsn = crate::dsn::Dsn::parse(Side::Source, source_dsn)?;
    let mut client = dsn.connect()?;
    check(&mut client, dsn.redacted())
}
