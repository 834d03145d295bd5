//! The ETL's typed errors. Every message names what is wrong (which side, which table, which
//! stream) and never contains a password: DSNs only ever appear through [`crate::dsn::redact`].
use thiserror::Error;

/// Which database an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Source,
    Target,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Source => "source (Odoo)",
            Side::Target => "target (engine)",
        })
    }
}

#[derive(Debug, Error)]
pub enum EtlError {
    /// The DSN could not be parsed, or the server could not be reached or refused us.
    #[error("cannot connect to the {side} database {dsn}: {reason}")]
    Connection {
        side: Side,
        dsn: String,
        reason: String,
    },

    /// Odoo tables the ETL reads are absent from the source.
    #[error("the source database has no table(s) {}: is this an Odoo 18 database with point_of_sale and pos_loyalty installed?", .tables.join(", "))]
    MissingTable { tables: Vec<String> },

    /// The addon's ledger/membership tables or columns are absent: the engine's balances are
    /// derived from the ledger, so without it there is nothing correct to load them from.
    #[error("the source database has no {}: install the asd_aba_loyalty addon (it opens the points ledger), or select only the streams {} with streams=[...]", .missing.join(", "), .odoo_only.join(", "))]
    AddonMissing {
        missing: Vec<String>,
        odoo_only: Vec<String>,
    },

    /// A stream name that does not exist, an invalid threshold, ...
    #[error("invalid ETL argument {field}: {reason}")]
    InvalidArgument { field: String, reason: String },

    /// Another ETL process holds the stream (follow mode and a manual sync at once).
    #[error("stream {stream} is being synchronised by another ETL process; try again later")]
    Busy { stream: String },

    /// The engine schema is newer than this ETL build.
    #[error("the target schema aba_engine is at version {found}, newer than this ETL ({known}); upgrade aba_loyalty_core")]
    SchemaTooNew { found: i32, known: i32 },

    /// Validation or sync needs data a full load has not brought yet.
    #[error("stream {stream} has never been loaded into the target: run full_load first")]
    NotLoaded { stream: String },

    /// The generator refuses to write over an existing database.
    #[error("the database already has Odoo tables ({table} exists): the generator only fills an empty database")]
    NotEmpty { table: String },

    /// The data stream between the databases is malformed (a protocol-level surprise).
    #[error("malformed binary COPY data from the {side} database while reading {what}: {reason}")]
    CopyFormat {
        side: Side,
        what: String,
        reason: String,
    },

    /// Any other database error, with what we were doing.
    #[error("{side} database error while {during}: {}", describe(.source))]
    Database {
        side: Side,
        during: String,
        #[source]
        source: postgres::Error,
    },

    /// An error on a connection of the ETL's own wire client (`crate::wire`), with what we
    /// were doing.
    #[error("{side} database error while {during}: {reason}")]
    Wire {
        side: Side,
        during: String,
        reason: String,
    },

    #[error("I/O error while {during}: {source}")]
    Io {
        during: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, EtlError>;

/// What the driver's error says, with the server's own words: its `Display` alone is only
/// "db error" for everything the server refused.
pub fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

/// Attach context to `postgres` errors: `.db(Side::Target, "upserting cards")?`.
pub trait DbContext<T> {
    fn db(self, side: Side, during: impl Into<String>) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, postgres::Error> {
    fn db(self, side: Side, during: impl Into<String>) -> Result<T> {
        self.map_err(|source| EtlError::Database {
            side,
            during: during.into(),
            source,
        })
    }
}

impl EtlError {
    /// Short machine-readable kind, used by the bindings to pick the Python class.
    pub fn kind(&self) -> &'static str {
        match self {
            EtlError::Connection { .. } => "connection",
            EtlError::MissingTable { .. } => "missing_table",
            EtlError::AddonMissing { .. } => "addon_missing",
            EtlError::InvalidArgument { .. } => "invalid_argument",
            EtlError::Busy { .. } => "busy",
            EtlError::SchemaTooNew { .. } => "schema",
            EtlError::NotLoaded { .. } => "not_loaded",
            EtlError::NotEmpty { .. } => "not_empty",
            EtlError::CopyFormat { .. } => "copy_format",
            EtlError::Database { .. } | EtlError::Wire { .. } => "database",
            EtlError::Io { .. } => "io",
        }
    }
}
