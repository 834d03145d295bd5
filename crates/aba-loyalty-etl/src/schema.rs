//! The engine's schema, created and migrated by the ETL: numbered migrations applied in order,
//! each in its own transaction together with its row in `schema_migrations`, under an advisory
//! lock so two ETL processes starting at once do not race.
use postgres::Client;

use crate::error::{DbContext, EtlError, Result, Side};

pub const SCHEMA: &str = "aba_engine";

/// (version, name, SQL). Append only: a released migration never changes.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "initial engine schema",
        include_str!("../sql/migrations/0001_initial.sql"),
    ),
    (
        2,
        "ledger moves: card_code and shortfall",
        include_str!("../sql/migrations/0002_move_card_code_shortfall.sql"),
    ),
    (
        3,
        "validation: unmanaged and deleted-with-history card counts",
        include_str!("../sql/migrations/0003_validation_unmanaged_deleted.sql"),
    ),
    (
        4,
        "ranged sync: key floor, write_date floor, page sweep, key check",
        include_str!("../sql/migrations/0004_ranged_sync.sql"),
    ),
    (
        5,
        "audit reports, findings and proposed adjust moves",
        include_str!("../sql/migrations/0005_audit.sql"),
    ),
];

pub fn latest_version() -> i32 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// Bring the target schema to the latest version; returns the versions applied now.
pub fn migrate(client: &mut Client) -> Result<Vec<i32>> {
    let mut tx = client
        .transaction()
        .db(Side::Target, "starting the migration")?;
    // Serialises concurrent migrators; released at commit.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('aba_engine.migrate'))",
        &[],
    )
    .db(Side::Target, "locking the schema for migration")?;
    tx.batch_execute(&format!(
        "SET LOCAL client_min_messages = warning;
         CREATE SCHEMA IF NOT EXISTS {SCHEMA};
         CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations (
             version integer PRIMARY KEY,
             name text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())"
    ))
    .db(Side::Target, "creating the schema")?;
    let current: i32 = tx
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {SCHEMA}.schema_migrations"),
            &[],
        )
        .db(Side::Target, "reading the schema version")?
        .get(0);
    if current > latest_version() {
        return Err(EtlError::SchemaTooNew {
            found: current,
            known: latest_version(),
        });
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).db(
            Side::Target,
            format!("applying migration {version} ({name})"),
        )?;
        tx.execute(
            &format!("INSERT INTO {SCHEMA}.schema_migrations (version, name) VALUES ($1, $2)"),
            &[version, name],
        )
        .db(Side::Target, "recording the migration")?;
        applied.push(*version);
    }
    tx.commit().db(Side::Target, "committing the migration")?;
    if !applied.is_empty() {
        log::info!(
            "target schema {SCHEMA} migrated to version {}",
            latest_version()
        );
    }
    Ok(applied)
}

/// Whether the target has the schema at all (status on an empty database is not an error).
pub fn exists(client: &mut Client) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{SCHEMA}.sync_state")],
        )
        .db(Side::Target, "looking for the engine schema")?;
    Ok(row.get(0))
}
