//! Full load: every selected stream from one read-only source snapshot, each stream committed in
//! its own target transaction together with its sync state. A load killed midway leaves its row
//! in `loads` as 'running'; the next full load resumes it, skipping the streams already
//! committed under it (their later changes arrive by sync like any other change).
use std::time::Instant;

use serde::Serialize;

use crate::error::{DbContext, Result, Side};
use crate::replicate::{run_stream, Mode, StreamReport};
use crate::schema::{self, SCHEMA};
use crate::{source, streams, Etl};

#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Streams to load (`None`: all).
    pub streams: Option<Vec<String>>,
    /// Resume an interrupted load instead of starting over.
    pub resume: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            streams: None,
            resume: true,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LoadReport {
    pub load_id: i64,
    pub resumed: bool,
    /// Streams already committed by the interrupted load this one resumed.
    pub skipped: Vec<String>,
    pub streams: Vec<StreamReport>,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_rejected: u64,
    pub duration_ms: f64,
    pub rows_per_second: f64,
    pub schema_version: i32,
    pub source: String,
    pub target: String,
}

impl Etl {
    pub fn full_load(&self, options: &LoadOptions) -> Result<LoadReport> {
        let clock = Instant::now();
        let selected = streams::select(options.streams.as_deref())?;
        let mut src = self.source_conn()?;
        // Everything the source lacks is reported before the target is touched.
        let shape = source::preflight(&mut src, &selected)?;
        let mut tgt = self.target_conn()?;
        schema::migrate(&mut tgt)?;

        let names: Vec<&str> = selected.iter().map(|s| s.name).collect();
        let interrupted: Option<i64> = if options.resume {
            tgt.query_opt(
                &format!("SELECT id FROM {SCHEMA}.loads WHERE status = 'running' ORDER BY id DESC LIMIT 1"),
                &[],
            )
            .db(Side::Target, "looking for an interrupted load")?
            .map(|r| r.get(0))
        } else {
            None
        };
        let (load_id, resumed) = match interrupted {
            Some(id) => (id, true),
            None => {
                let id: i64 = tgt
                    .query_one(
                        &format!("INSERT INTO {SCHEMA}.loads (status, streams) VALUES ('running', $1) RETURNING id"),
                        &[&names],
                    )
                    .db(Side::Target, "recording the load")?
                    .get(0);
                (id, false)
            }
        };
        let done: Vec<String> = tgt
            .query(
                &format!("SELECT stream FROM {SCHEMA}.sync_state WHERE load_id = $1"),
                &[&load_id],
            )
            .db(Side::Target, "reading the streams already loaded")?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if resumed {
            log::info!(
                "resuming interrupted load {load_id}; already committed: {}",
                done.join(", ")
            );
        } else {
            log::info!("full load {load_id} of {}", names.join(", "));
        }

        let (mut src_tx, snap) = source::snapshot(&mut src)?;
        let mut reports = Vec::new();
        let mut skipped = Vec::new();
        for stream in selected {
            if done.iter().any(|d| d == stream.name) {
                skipped.push(stream.name.to_string());
                continue;
            }
            reports.push(run_stream(
                &mut src_tx,
                &shape,
                &snap,
                &mut tgt,
                stream,
                Mode::Full { load_id },
            )?);
        }
        src_tx
            .commit()
            .db(Side::Source, "closing the read-only snapshot")?;
        tgt.execute(
            &format!(
                "UPDATE {SCHEMA}.loads SET status = 'done', finished_at = now() WHERE id = $1"
            ),
            &[&load_id],
        )
        .db(Side::Target, "closing the load")?;

        let rows_read: u64 = reports.iter().map(|r| r.rows_read).sum();
        let rows_loaded: u64 = reports.iter().map(|r| r.rows_upserted).sum();
        let rows_rejected: u64 = reports.iter().map(|r| r.rows_rejected).sum();
        let duration_ms = clock.elapsed().as_secs_f64() * 1e3;
        Ok(LoadReport {
            load_id,
            resumed,
            skipped,
            streams: reports,
            rows_read,
            rows_loaded,
            rows_rejected,
            duration_ms,
            rows_per_second: if duration_ms > 0.0 {
                rows_read as f64 / (duration_ms / 1e3)
            } else {
                0.0
            },
            schema_version: schema::latest_version(),
            source: self.source.redacted(),
            target: self.target.redacted(),
        })
    }
}
