//! Incremental sync: the due streams, from one read-only source snapshot, each in its own target
//! transaction (see `replicate` for why no row can be missed or doubled).
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{DbContext, EtlError, Result, Side};
use crate::ranged::Budget;
use crate::replicate::{run_stream, Mode, StreamReport};
use crate::schema::{self, SCHEMA};
use crate::streams::{self, Group, Stream};
use crate::{source, Etl};

#[derive(Clone, Debug, Default)]
pub struct SyncOptions {
    /// Streams to sync (`None`: all).
    pub streams: Option<Vec<String>>,
    /// Only the streams whose cadence has elapsed since their last success (follow mode).
    pub due_only: bool,
    /// Cadence per group name ("critical", "non_critical", "reference"), overriding docs/design.md's.
    pub cadences: BTreeMap<String, Duration>,
    /// How a round finds the changes.
    pub method: SyncMethod,
    /// The ranged method's bounded work per stream and round.
    pub budget: Budget,
}

/// How a sync round finds what changed on the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMethod {
    /// Index ranges (new ids, write_date where indexed) and a bounded page sweep and key check
    /// per round: the cost follows the changes (see `ranged`).
    #[default]
    Ranged,
    /// The first version's round: a sequential scan of each table with the transaction-horizon
    /// filter, and a count of both sides (and a key merge when they differ) for deletes.
    Scan,
}

impl SyncMethod {
    pub fn parse(name: &str) -> Result<SyncMethod> {
        match name {
            "ranged" => Ok(SyncMethod::Ranged),
            "scan" => Ok(SyncMethod::Scan),
            other => Err(EtlError::InvalidArgument {
                field: "method".into(),
                reason: format!("unknown sync method {other:?}; known: ranged, scan"),
            }),
        }
    }
}

impl SyncOptions {
    pub fn cadence(&self, group: Group) -> Duration {
        self.cadences
            .get(group.name())
            .copied()
            .unwrap_or_else(|| group.default_cadence())
    }
}

#[derive(Debug, Serialize)]
pub struct SyncReport {
    pub streams: Vec<StreamReport>,
    pub not_due: Vec<String>,
    pub rows_upserted: u64,
    pub rows_deleted: u64,
    pub rows_rejected: u64,
    pub duration_ms: f64,
    pub snapshot_at: Option<DateTime<Utc>>,
    pub horizon_xid: Option<i64>,
    /// Seconds until the next stream is due (follow mode sleeps that long).
    pub next_due_in_s: f64,
}

/// Validate a cadence map's keys (the bindings pass user input here).
pub fn check_cadences(cadences: &BTreeMap<String, Duration>) -> Result<()> {
    for (name, secs) in cadences {
        if ![Group::Critical, Group::NonCritical, Group::Reference]
            .iter()
            .any(|g| g.name() == name)
        {
            return Err(EtlError::InvalidArgument {
                field: format!("cadences.{name}"),
                reason: "unknown group; known: critical, non_critical, reference".into(),
            });
        }
        if secs.is_zero() {
            return Err(EtlError::InvalidArgument {
                field: format!("cadences.{name}"),
                reason: "must be > 0".into(),
            });
        }
    }
    Ok(())
}

impl Etl {
    pub fn sync(&self, options: &SyncOptions) -> Result<SyncReport> {
        let clock = Instant::now();
        check_cadences(&options.cadences)?;
        let selected = streams::select(options.streams.as_deref())?;
        let mut src = self.source_conn()?;
        let shape = source::preflight(&mut src, &selected)?;
        let mut tgt = self.target_conn()?;
        schema::migrate(&mut tgt)?;

        // Seconds since each stream's last success (None: never loaded).
        let mut since: BTreeMap<String, f64> = BTreeMap::new();
        for row in tgt
            .query(
                &format!("SELECT stream, extract(epoch FROM now() - last_success_at)::float8 FROM {SCHEMA}.sync_state"),
                &[],
            )
            .db(Side::Target, "reading the sync state")?
        {
            since.insert(row.get(0), row.get(1));
        }
        let mut due: Vec<&'static Stream> = Vec::new();
        let mut not_due = Vec::new();
        let mut next_due_in_s = f64::INFINITY;
        for stream in selected {
            let Some(&age) = since.get(stream.name) else {
                return Err(EtlError::NotLoaded {
                    stream: stream.name.to_string(),
                });
            };
            let cadence = options.cadence(stream.group).as_secs_f64();
            if options.due_only && age < cadence {
                not_due.push(stream.name.to_string());
                next_due_in_s = next_due_in_s.min(cadence - age);
            } else {
                due.push(stream);
                next_due_in_s = next_due_in_s.min(cadence);
            }
        }

        let mut reports = Vec::new();
        let mut snapshot_at = None;
        let mut horizon_xid = None;
        if !due.is_empty() {
            let (mut src_tx, snap) = source::snapshot(&mut src)?;
            snapshot_at = Some(snap.taken_at);
            horizon_xid = Some(snap.horizon);
            for stream in due {
                reports.push(run_stream(
                    &mut src_tx,
                    &shape,
                    &snap,
                    &mut tgt,
                    stream,
                    match options.method {
                        SyncMethod::Ranged => Mode::Ranged(options.budget),
                        SyncMethod::Scan => Mode::Incremental,
                    },
                )?);
            }
            src_tx
                .commit()
                .db(Side::Source, "closing the read-only snapshot")?;
        }
        Ok(SyncReport {
            rows_upserted: reports.iter().map(|r| r.rows_upserted).sum(),
            rows_deleted: reports.iter().map(|r| r.rows_deleted).sum(),
            rows_rejected: reports.iter().map(|r| r.rows_rejected).sum(),
            streams: reports,
            not_due,
            duration_ms: clock.elapsed().as_secs_f64() * 1e3,
            snapshot_at,
            horizon_xid,
            next_due_in_s: if next_due_in_s.is_finite() {
                next_due_in_s.max(0.0)
            } else {
                0.0
            },
        })
    }
}
