//! Connections: DSN parsing, password-free descriptions, pools. The source side is read-only by
//! construction (`default_transaction_read_only=on` for the session, and every transaction the
//! ETL opens there is also `READ ONLY`).
use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, Config, NoTls};
use r2d2_postgres::PostgresConnectionManager;

use crate::error::{describe, EtlError, Result, Side};
use crate::wire::CopyOut;

pub type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
pub type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

const APPLICATION_NAME: &str = "aba_loyalty_etl";

/// A parsed DSN that can describe itself without its password.
#[derive(Clone)]
pub struct Dsn {
    config: Config,
    side: Side,
}

impl std::fmt::Debug for Dsn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dsn({})", self.redacted())
    }
}

impl Dsn {
    pub fn parse(side: Side, dsn: &str) -> Result<Dsn> {
        let mut config = Config::from_str(dsn).map_err(|err| EtlError::Connection {
            side,
            dsn: redact(dsn),
            reason: scrub(&format!("invalid DSN: {err}"), password_of(dsn).as_deref()),
        })?;
        if config.get_application_name().is_none() {
            config.application_name(APPLICATION_NAME);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if side == Side::Source {
            // Belt and braces with the READ ONLY transactions: a statement the ETL did not
            // mean to write with still cannot write.
            let options = match config.get_options() {
                Some(existing) => format!("{existing} -c default_transaction_read_only=on"),
                None => "-c default_transaction_read_only=on".to_string(),
            };
            config.options(&options);
        }
        Ok(Dsn { config, side })
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// `postgresql://user@host:port/dbname`, never with the password.
    pub fn redacted(&self) -> String {
        let user = self.config.get_user().unwrap_or("");
        let host = match self.config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self.config.get_dbname().unwrap_or(user);
        let at = if user.is_empty() {
            String::new()
        } else {
            format!("{user}@")
        };
        format!("postgresql://{at}{host}:{port}/{db}")
    }

    fn password(&self) -> Option<String> {
        self.config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    fn connection_error(&self, err: impl std::fmt::Display) -> EtlError {
        EtlError::Connection {
            side: self.side,
            dsn: self.redacted(),
            reason: scrub(&err.to_string(), self.password().as_deref()),
        }
    }

    /// One direct connection (used to fail fast with the server's own reason).
    pub fn connect(&self) -> Result<Client> {
        self.config
            .connect(NoTls)
            .map_err(|err| self.connection_error(describe(&err)))
    }

    /// A binary `COPY ... TO STDOUT` read from the socket by the ETL's own client
    /// (`crate::wire`), logged in as `user`, after `setup` (statements of a read-only
    /// transaction: sharing a snapshot, settings).
    pub fn copy_out(&self, user: &str, setup: &str, copy: &str, what: &str) -> Result<CopyOut> {
        let mut out =
            CopyOut::connect(&self.config, user).map_err(|err| self.connection_error(err))?;
        out.query(setup, copy).map_err(|err| EtlError::Wire {
            side: self.side,
            during: format!("reading {what}"),
            reason: scrub(&err.to_string(), self.password().as_deref()),
        })?;
        Ok(out)
    }

    /// A pool; connecting once first so a wrong DSN fails now, with the server's reason,
    /// instead of after r2d2's retry timeout.
    pub fn pool(&self, max_size: u32) -> Result<Pool> {
        drop(self.connect()?);
        let manager = PostgresConnectionManager::new(self.config.clone(), NoTls);
        Ok(r2d2::Pool::builder()
            .max_size(max_size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(15))
            .build_unchecked(manager))
    }
}

/// Get a connection from a pool, as a typed error.
pub fn get(pool: &Pool, dsn: &Dsn) -> Result<Conn> {
    pool.get().map_err(|err| dsn.connection_error(err))
}

/// The password of a DSN in either syntax, for scrubbing messages (best effort, no validation).
fn password_of(dsn: &str) -> Option<String> {
    if let Some(rest) = dsn.split_once("://").map(|(_, r)| r) {
        let userinfo = rest.split('@').next().filter(|_| rest.contains('@'))?;
        return userinfo
            .split_once(':')
            .map(|(_, p)| p.to_string())
            .filter(|p| !p.is_empty());
    }
    dsn.split_whitespace()
        .find_map(|kv| kv.strip_prefix("password="))
        .map(|p| p.trim_matches('\'').to_string())
        .filter(|p| !p.is_empty())
}

/// Replace every occurrence of the password in `text`.
fn scrub(text: &str, password: Option<&str>) -> String {
    match password {
        Some(p) if !p.is_empty() => text.replace(p, "***"),
        _ => text.to_string(),
    }
}

/// A DSN string with its password replaced by `***` (for messages about unparsable DSNs).
pub fn redact(dsn: &str) -> String {
    if let Some((scheme, rest)) = dsn.split_once("://") {
        if let Some((userinfo, host)) = rest.rsplit_once('@') {
            let user = userinfo.split(':').next().unwrap_or("");
            let marker = if userinfo.contains(':') { ":***" } else { "" };
            let host = strip_query_password(host);
            return format!("{scheme}://{user}{marker}@{host}");
        }
        return format!("{scheme}://{}", strip_query_password(rest));
    }
    dsn.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn strip_query_password(s: &str) -> String {
    match s.split_once('?') {
        None => s.to_string(),
        Some((path, query)) => {
            let query: Vec<&str> = query
                .split('&')
                .map(|kv| {
                    if kv.starts_with("password=") {
                        "password=***"
                    } else {
                        kv
                    }
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_and_keyword_forms() {
        assert_eq!(
            redact("postgresql://odoo:s3cret@db:5432/prod"),
            "postgresql://odoo:***@db:5432/prod"
        );
        assert_eq!(
            redact("postgres://db/prod?user=a&password=x"),
            "postgres://db/prod?user=a&password=***"
        );
        assert_eq!(
            redact("host=db password=s3cret dbname=prod"),
            "host=db password=*** dbname=prod"
        );
        assert_eq!(
            redact("postgresql://odoo@db/prod"),
            "postgresql://odoo@db/prod"
        );
    }

    #[test]
    fn parsed_dsn_describes_itself_without_password() {
        let dsn = Dsn::parse(Side::Source, "postgresql://odoo:s3cret@db:6543/prod").expect("valid");
        assert_eq!(dsn.redacted(), "postgresql://odoo@db:6543/prod");
        assert!(!format!("{dsn:?}").contains("s3cret"));
    }

    #[test]
    fn password_is_scrubbed_from_errors() {
        assert_eq!(password_of("postgresql://u:pw@h/d").as_deref(), Some("pw"));
        assert_eq!(password_of("host=h password=pw").as_deref(), Some("pw"));
        assert_eq!(scrub("bad pw here", Some("pw")), "bad *** here");
    }

    #[test]
    fn unparsable_dsn_is_a_connection_error_without_password() {
        let err = Dsn::parse(Side::Target, "postgresql://u:topsecret@h:notaport/d")
            .expect_err("bad port");
        let text = err.to_string();
        assert!(text.contains("target"), "{text}");
        assert!(!text.contains("topsecret"), "{text}");
    }
}
