//! The streaming pipe: `COPY (query) TO STDOUT (FORMAT binary)` on the source, each tuple checked
//! and converted in Rust, `COPY table FROM STDIN (FORMAT binary)` on the target. One tuple in
//! memory at a time; both servers work concurrently through their socket buffers.
use std::io::BufWriter;

use chrono::NaiveDateTime;
use postgres::Transaction;

use crate::copy_format::{decode, FormatError, TupleReader, TupleWriter};
use crate::error::{DbContext, EtlError, Result, Side};
use crate::source::SourceShape;
use crate::streams::Stream;
use crate::transform::{Reject, Transformer};

/// Rejects kept with their reason (for the report and the rejects table); beyond that only
/// their ids are kept (so a reload does not delete the engine's last good version of them).
pub const MAX_REJECT_DETAILS: usize = 10_000;

#[derive(Debug, Default)]
pub struct PipeStats {
    pub rows_read: u64,
    pub rows_written: u64,
    pub rejects: Vec<Reject>,
    pub rejected_ids: Vec<i64>,
    pub rejected: u64,
    /// The greatest (write_date, id) seen.
    pub watermark: Option<(Option<NaiveDateTime>, i32)>,
}

/// Copy the rows of `stream` selected by `branches` (SQL conditions whose row sets are
/// concatenated, `UNION ALL`: each branch can use its own index or page range; none: the whole
/// table) from the source transaction into `target_table` (the stream's table or a staging
/// table) of the target one. An optional column the source lacks (`shape`) arrives as NULL.
pub fn copy_stream(
    source: &mut Transaction<'_>,
    target: &mut Transaction<'_>,
    stream: &'static Stream,
    shape: &SourceShape,
    branches: &[String],
    target_table: &str,
    freeze: bool,
) -> Result<PipeStats> {
    let what = format!("{} ({})", stream.name, stream.source_table);
    let select = stream.source_select(shape);
    let copy_out = match (branches, select) {
        // A whole table: COPY of the table itself, cheaper for the server than of a query.
        ([], None) => format!(
            "COPY public.{} ({}) TO STDOUT (FORMAT binary)",
            stream.source_table,
            stream.source_columns()
        ),
        (branches, select) => {
            let select = select.unwrap_or_else(|| stream.source_columns());
            let all = ["true".to_string()];
            let branches = if branches.is_empty() {
                &all[..]
            } else {
                branches
            };
            let query = branches
                .iter()
                .map(|b| {
                    format!(
                        "SELECT {select} FROM public.{} WHERE {b}",
                        stream.source_table
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            format!("COPY ({query}) TO STDOUT (FORMAT binary)")
        }
    };
    let reader = source
        .copy_out(&copy_out)
        .db(Side::Source, format!("reading {what}"))?;
    let freeze = if freeze { ", FREEZE" } else { "" };
    let writer = target
        .copy_in(&format!(
            "COPY {target_table} ({}) FROM STDIN (FORMAT binary{freeze})",
            stream.target_columns()
        ))
        .db(Side::Target, format!("writing {what}"))?;

    let write_date_at = stream.columns.iter().position(|c| c.source == "write_date");
    let mut input = TupleReader::new(reader);
    let io = |during: &str| {
        let during = format!("{during} {what}");
        move |source: std::io::Error| EtlError::Io { during, source }
    };
    let mut output =
        TupleWriter::new(BufWriter::with_capacity(1 << 16, writer)).map_err(io("writing"))?;
    let mut transformer = Transformer::new(stream);
    let mut stats = PipeStats::default();
    loop {
        match input.next_tuple() {
            Ok(true) => {}
            Ok(false) => break,
            Err(FormatError::Io(source)) => {
                return Err(EtlError::Io {
                    during: format!("reading {what} from the source"),
                    source,
                })
            }
            Err(FormatError::Malformed(reason)) => {
                return Err(EtlError::CopyFormat {
                    side: Side::Source,
                    what,
                    reason,
                })
            }
        }
        stats.rows_read += 1;
        match transformer
            .apply(&input, &mut output)
            .map_err(io("writing"))?
        {
            None => {
                stats.rows_written += 1;
                track_watermark(&mut stats, &input, write_date_at);
            }
            Some(reject) => {
                stats.rejected += 1;
                if let Some(id) = reject.id {
                    stats.rejected_ids.push(id);
                }
                if stats.rejects.len() < MAX_REJECT_DETAILS {
                    log::warn!(
                        "bad source row {} id {:?}: {}",
                        reject.table,
                        reject.id,
                        reject.reason
                    );
                    stats.rejects.push(reject);
                }
            }
        }
        if stats.rows_read % 1_000_000 == 0 {
            log::info!("{}: {} rows copied", stream.name, stats.rows_read);
        }
    }
    let buffered = output.finish().map_err(io("finishing"))?;
    let writer = buffered.into_inner().map_err(|e| EtlError::Io {
        during: format!("flushing {what}"),
        source: e.into_error(),
    })?;
    writer
        .finish()
        .db(Side::Target, format!("finishing the copy of {what}"))?;
    Ok(stats)
}

fn track_watermark<R>(stats: &mut PipeStats, input: &TupleReader<R>, write_date_at: Option<usize>) {
    let Some(id) = input.field(0).and_then(decode::i32) else {
        return;
    };
    let wd = write_date_at
        .and_then(|i| input.field(i))
        .and_then(decode::i64)
        .and_then(pg_timestamp);
    let key = (wd, id);
    if stats.watermark.is_none_or(|w| key > w) {
        stats.watermark = Some(key);
    }
}

/// PostgreSQL's binary timestamp: microseconds since 2000-01-01 00:00:00.
pub fn pg_timestamp(micros: i64) -> Option<NaiveDateTime> {
    let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)?.and_hms_opt(0, 0, 0)?;
    epoch.checked_add_signed(chrono::Duration::microseconds(micros))
}

/// The ordered ids of a table, streamed (`COPY (SELECT id ... ORDER BY id)`).
pub struct IdStream<'a> {
    input: TupleReader<postgres::CopyOutReader<'a>>,
    side: Side,
    table: String,
}

impl<'a> IdStream<'a> {
    pub fn open(tx: &'a mut Transaction<'_>, side: Side, table: &str) -> Result<IdStream<'a>> {
        let reader = tx
            .copy_out(&format!(
                "COPY (SELECT id FROM {table} ORDER BY id) TO STDOUT (FORMAT binary)"
            ))
            .db(side, format!("reading the ids of {table}"))?;
        Ok(IdStream {
            input: TupleReader::new(reader),
            side,
            table: table.to_string(),
        })
    }

    pub fn next_id(&mut self) -> Result<Option<i32>> {
        loop {
            match self.input.next_tuple() {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(FormatError::Io(source)) => {
                    return Err(EtlError::Io {
                        during: format!("reading the ids of {}", self.table),
                        source,
                    })
                }
                Err(FormatError::Malformed(reason)) => {
                    return Err(EtlError::CopyFormat {
                        side: self.side,
                        what: format!("ids of {}", self.table),
                        reason,
                    })
                }
            }
            if let Some(id) = self.input.field(0).and_then(decode::i32) {
                return Ok(Some(id));
            }
        }
    }
}
