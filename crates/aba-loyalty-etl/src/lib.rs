//! ETL from Odoo 18's PostgreSQL into the loyalty engine's PostgreSQL (docs/design.md §4).
//!
//! - [`Etl::full_load`]: every selected stream from one read-only source snapshot, each stream in
//!   its own target transaction with its sync state, resumable after a crash.
//! - [`Etl::sync`]: per stream, the rows written since the stream's transaction horizon, deleted
//!   keys reconciled, balances refreshed, the new horizon committed with the rows.
//! - [`Etl::validate`]: Odoo's card balance against the engine's ledger-derived one.
//! - [`Etl::status`] / [`monitor::prometheus`]: the run log and sync state, for people and for
//!   Prometheus.
//!
//! The generator of Odoo-18-shaped test sources is test tooling, in its own crate
//! (`aba-loyalty-testing`), never linked into a release wheel.
pub mod audit;
pub mod copy_format;
pub mod dsn;
pub mod error;
pub mod load;
pub mod monitor;
pub mod pipe;
pub mod ranged;
pub mod replicate;
pub mod schema;
pub mod source;
pub mod streams;
pub mod sync;
pub mod transform;
pub mod validate;
pub mod wire;

pub use error::{EtlError, Result, Side};

use dsn::{Dsn, Pool};

/// Connections to both sides. Cheap to keep for a follow loop; the pools reconnect as needed.
pub struct Etl {
    source: Dsn,
    target: Dsn,
    source_pool: Pool,
    target_pool: Pool,
}

impl Etl {
    /// Parse both DSNs and connect once to each (a wrong DSN fails here, naming its side).
    pub fn connect(source_dsn: &str, target_dsn: &str) -> Result<Etl> {
        let source = Dsn::parse(Side::Source, source_dsn)?;
        let target = Dsn::parse(Side::Target, target_dsn)?;
        let source_pool = source.pool(2)?;
        let target_pool = target.pool(2)?;
        Ok(Etl {
            source,
            target,
            source_pool,
            target_pool,
        })
    }

    pub fn source_dsn(&self) -> &Dsn {
        &self.source
    }

    pub fn target_dsn(&self) -> &Dsn {
        &self.target
    }

    fn source_conn(&self) -> Result<dsn::Conn> {
        dsn::get(&self.source_pool, &self.source)
    }

    fn target_conn(&self) -> Result<dsn::Conn> {
        dsn::get(&self.target_pool, &self.target)
    }

    /// Inspect the source: streams available, addon present, read-only enforced.
    pub fn check_source(&self) -> Result<source::SourceCheck> {
        let mut conn = self.source_conn()?;
        source::check(&mut conn, self.source.redacted())
    }
}
