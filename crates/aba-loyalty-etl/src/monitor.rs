//! Monitoring: per-stream state and last run, the last validation, and the same as Prometheus
//! text exposition (for a textfile collector or an HTTP handler the caller owns).
use std::fmt::Write;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::error::{DbContext, Result, Side};
use crate::schema::{self, SCHEMA};
use crate::streams::STREAMS;
use crate::sync::SyncOptions;
use crate::Etl;

#[derive(Debug, Serialize)]
pub struct LastRun {
    pub kind: String,
    pub status: String,
    pub finished_at: DateTime<Utc>,
    pub rows_read: i64,
    pub rows_upserted: i64,
    pub rows_deleted: i64,
    pub rows_rejected: i64,
    pub duration_ms: f64,
    pub lag_ms: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StreamStatus {
    pub stream: String,
    pub group: String,
    pub cadence_s: f64,
    pub loaded: bool,
    pub rows_total: Option<i64>,
    pub horizon_xid: Option<i64>,
    pub watermark_write_date: Option<NaiveDateTime>,
    pub watermark_id: Option<i32>,
    pub snapshot_at: Option<DateTime<Utc>>,
    /// How old the engine's copy is: now minus the source snapshot it is complete up to.
    pub staleness_s: Option<f64>,
    pub due: bool,
    pub last_run: Option<LastRun>,
    pub runs_total: i64,
    pub errors_total: i64,
}

#[derive(Debug, Serialize)]
pub struct ValidationSummary {
    pub report_id: i64,
    pub started_at: DateTime<Utc>,
    pub cards_compared: i64,
    pub cards_unmanaged: i64,
    pub cards_deleted_with_history: i64,
    pub discrepancies: i64,
    pub consistency_rate: f64,
    pub threshold: f64,
    pub alert: bool,
    pub duration_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub target: String,
    pub schema_present: bool,
    pub schema_version: Option<i32>,
    pub load: Option<LoadSummary>,
    pub streams: Vec<StreamStatus>,
    pub last_validation: Option<ValidationSummary>,
}

#[derive(Debug, Serialize)]
pub struct LoadSummary {
    pub load_id: i64,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Status only needs the target: operators can ask it without the Odoo DSN.
pub fn status_of(
    client: &mut postgres::Client,
    target: String,
    cadences: &SyncOptions,
) -> Result<Status> {
    if !schema::exists(client)? {
        return Ok(Status {
            target,
            schema_present: false,
            schema_version: None,
            load: None,
            streams: Vec::new(),
            last_validation: None,
        });
    }
    let q = |c: &mut postgres::Client, sql: &str| {
        c.query(sql, &[]).db(Side::Target, "reading the ETL status")
    };
    let version: Option<i32> = q(
        client,
        &format!("SELECT max(version) FROM {SCHEMA}.schema_migrations"),
    )?
    .first()
    .and_then(|r| r.get(0));
    let load = q(client, &format!("SELECT id, status, started_at, finished_at FROM {SCHEMA}.loads ORDER BY id DESC LIMIT 1"))?
        .first()
        .map(|r| LoadSummary { load_id: r.get(0), status: r.get(1), started_at: r.get(2), finished_at: r.get(3) });
    let now = Utc::now();
    let mut streams = Vec::new();
    for stream in STREAMS {
        let cadence = cadences.cadence(stream.group).as_secs_f64();
        let state = client
            .query_opt(
                &format!(
                    "SELECT rows_total, horizon_xid, wm_write_date, wm_id, snapshot_at,
                            extract(epoch FROM now() - last_success_at)::float8
                     FROM {SCHEMA}.sync_state WHERE stream = $1"
                ),
                &[&stream.name],
            )
            .db(Side::Target, "reading the sync state")?;
        let last = client
            .query_opt(
                &format!(
                    "SELECT kind, status, finished_at, rows_read, rows_upserted, rows_deleted, rows_rejected,
                            duration_ms, lag_ms, error
                     FROM {SCHEMA}.run_log WHERE stream = $1 ORDER BY id DESC LIMIT 1"
                ),
                &[&stream.name],
            )
            .db(Side::Target, "reading the run log")?
            .map(|r| LastRun {
                kind: r.get(0),
                status: r.get(1),
                finished_at: r.get(2),
                rows_read: r.get(3),
                rows_upserted: r.get(4),
                rows_deleted: r.get(5),
                rows_rejected: r.get(6),
                duration_ms: r.get(7),
                lag_ms: r.get(8),
                error: r.get(9),
            });
        let counts = client
            .query_one(
                &format!("SELECT count(*), count(*) FILTER (WHERE status = 'error') FROM {SCHEMA}.run_log WHERE stream = $1"),
                &[&stream.name],
            )
            .db(Side::Target, "reading the run log")?;
        let snapshot_at: Option<DateTime<Utc>> = state.as_ref().map(|r| r.get(4));
        let since_success: Option<f64> = state.as_ref().map(|r| r.get(5));
        streams.push(StreamStatus {
            stream: stream.name.into(),
            group: stream.group.name().into(),
            cadence_s: cadence,
            loaded: state.is_some(),
            rows_total: state.as_ref().map(|r| r.get(0)),
            horizon_xid: state.as_ref().map(|r| r.get(1)),
            watermark_write_date: state.as_ref().and_then(|r| r.get(2)),
            watermark_id: state.as_ref().and_then(|r| r.get(3)),
            snapshot_at,
            staleness_s: snapshot_at.map(|t| (now - t).num_milliseconds() as f64 / 1e3),
            due: since_success.is_some_and(|s| s >= cadence),
            last_run: last,
            runs_total: counts.get(0),
            errors_total: counts.get(1),
        });
    }
    let last_validation = q(
        client,
        &format!(
            "SELECT id, started_at, cards_compared, discrepancies, consistency_rate, threshold, alert, duration_ms,
                    cards_unmanaged, cards_deleted_with_history
             FROM {SCHEMA}.validation_reports ORDER BY id DESC LIMIT 1"
        ),
    )?
    .first()
    .map(|r| ValidationSummary {
        report_id: r.get(0),
        started_at: r.get(1),
        cards_compared: r.get(2),
        discrepancies: r.get(3),
        consistency_rate: r.get(4),
        threshold: r.get(5),
        alert: r.get(6),
        duration_ms: r.get(7),
        cards_unmanaged: r.get(8),
        cards_deleted_with_history: r.get(9),
    });
    Ok(Status {
        target,
        schema_present: true,
        schema_version: version,
        load,
        streams,
        last_validation,
    })
}

/// Status of a target database, from its DSN alone.
pub fn status(target_dsn: &str, cadences: &SyncOptions) -> Result<Status> {
    let dsn = crate::dsn::Dsn::parse(Side::Target, target_dsn)?;
    let mut client = dsn.connect()?;
    status_of(&mut client, dsn.redacted(), cadences)
}

impl Etl {
    pub fn status(&self, cadences: &SyncOptions) -> Result<Status> {
        let mut conn = self.target_conn()?;
        status_of(&mut conn, self.target_dsn().redacted(), cadences)
    }
}

/// Prometheus text exposition format (version 0.0.4).
pub fn prometheus(status: &Status) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, f64)>| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let per_stream = |f: &dyn Fn(&StreamStatus) -> Option<f64>| -> Vec<(String, f64)> {
        status
            .streams
            .iter()
            .filter_map(|s| {
                f(s).map(|v| {
                    (
                        format!("{{stream=\"{}\",group=\"{}\"}}", s.stream, s.group),
                        v,
                    )
                })
            })
            .collect()
    };
    family(
        "aba_etl_up",
        "gauge",
        "1 when the engine schema exists.",
        vec![(String::new(), f64::from(u8::from(status.schema_present)))],
    );
    family(
        "aba_etl_stream_loaded",
        "gauge",
        "1 when the stream has been fully loaded.",
        per_stream(&|s| Some(f64::from(u8::from(s.loaded)))),
    );
    family(
        "aba_etl_stream_rows",
        "gauge",
        "Rows of the stream in the engine.",
        per_stream(&|s| s.rows_total.map(|v| v as f64)),
    );
    family(
        "aba_etl_stream_staleness_seconds",
        "gauge",
        "Now minus the source snapshot the stream is complete up to.",
        per_stream(&|s| s.staleness_s),
    );
    family(
        "aba_etl_last_run_rows",
        "gauge",
        "Rows read by the stream's last run.",
        per_stream(&|s| s.last_run.as_ref().map(|r| r.rows_read as f64)),
    );
    family(
        "aba_etl_last_run_rejected_rows",
        "gauge",
        "Bad source rows in the stream's last run.",
        per_stream(&|s| s.last_run.as_ref().map(|r| r.rows_rejected as f64)),
    );
    family(
        "aba_etl_last_run_duration_seconds",
        "gauge",
        "Duration of the stream's last run.",
        per_stream(&|s| s.last_run.as_ref().map(|r| r.duration_ms / 1e3)),
    );
    family(
        "aba_etl_last_run_lag_seconds",
        "gauge",
        "Source snapshot to target commit, last run.",
        per_stream(&|s| s.last_run.as_ref().and_then(|r| r.lag_ms).map(|l| l / 1e3)),
    );
    family(
        "aba_etl_last_run_success",
        "gauge",
        "1 when the stream's last run succeeded.",
        per_stream(&|s| {
            s.last_run
                .as_ref()
                .map(|r| f64::from(u8::from(r.status == "ok")))
        }),
    );
    family(
        "aba_etl_runs_total",
        "counter",
        "Runs of the stream.",
        per_stream(&|s| Some(s.runs_total as f64)),
    );
    family(
        "aba_etl_run_errors_total",
        "counter",
        "Failed runs of the stream.",
        per_stream(&|s| Some(s.errors_total as f64)),
    );
    if let Some(v) = &status.last_validation {
        family(
            "aba_etl_validation_consistency_ratio",
            "gauge",
            "Consistent cards / compared cards, last validation.",
            vec![(String::new(), v.consistency_rate)],
        );
        family(
            "aba_etl_validation_discrepancies",
            "gauge",
            "Cards whose balances differ, last validation.",
            vec![(String::new(), v.discrepancies as f64)],
        );
        family(
            "aba_etl_validation_alert",
            "gauge",
            "1 when the last validation was below its threshold.",
            vec![(String::new(), f64::from(u8::from(v.alert)))],
        );
        family(
            "aba_etl_validation_timestamp_seconds",
            "gauge",
            "When the last validation started.",
            vec![(String::new(), v.started_at.timestamp() as f64)],
        );
    }
    out
}
