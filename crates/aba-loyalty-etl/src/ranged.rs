//! The ranged sync: a round reads what changed, through indexes and bounded page ranges, instead
//! of a sequential scan of every table (docs/design.md §4). Per stream and round:
//!
//! 1. **New rows by key**: `id > key_floor` through the primary key (Odoo's ids come from a
//!    sequence). The floor only moves up to the highest id a round saw once every transaction
//!    that was open at that round has finished (its `xmax` is at or below the source's horizon):
//!    a transaction still open then may commit a lower id later.
//! 2. **Updated rows by write_date**, only where the source has a b-tree index led by
//!    `write_date` (Odoo 18 has none on these tables; an operator may add one, and it is
//!    detected from the catalog): `write_date >= wd_floor`, the floor being the start of the
//!    oldest transaction open on the source at the previous round (Odoo stamps write_date with
//!    its transaction's start, so a long transaction's late rows are inside it).
//! 3. **The page sweep**, the guarantee: the table's pages are divided in chunks of
//!    [`CHUNK_BLOCKS`]; each chunk remembers the transaction horizon it was last read at, and a
//!    round reads a bounded number of chunks (round robin, plus the chunks the table grew by),
//!    each with the old horizon filter (`age(xmin) <= age(chunk horizon)`) over a TID range.
//!    A row version never moves between pages (a rewrite changes the relfilenode, and then every
//!    chunk falls back to the oldest horizon), so any change the fast paths 1-2 did not see (a raw
//!    SQL update leaving write_date alone, an id below the floor) is read when its chunk comes
//!    round: at once on a table within the budget, within `chunks / budget` rounds otherwise.
//! 4. **Deletes**: the key space is checked a slice at a time: `count(*)` and a sum of a hash of
//!    the ids on both sides (index-only on the source's primary key); when they differ, the same
//!    per group of [`GROUP_IDS`] ids, and only the groups that differ have their keys merged. A
//!    table within the budget is checked whole every round.
//!
//! All of it reads one source snapshot, and the state advances in the same target transaction
//! as the rows, so a crash resumes from the old state: nothing lost or doubled.
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use postgres::Transaction;
use serde::Serialize;

use crate::error::{DbContext, Result, Side};
use crate::streams::Stream;

/// Pages per sweep chunk (1 MiB with 8 KiB pages).
pub const CHUNK_BLOCKS: u32 = 128;
/// Ids per group of the key check.
pub const GROUP_IDS: i64 = 1024;

/// How much of the bounded work a round does per stream.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Budget {
    /// Pages of the rolling sweep per stream and round (a table this small is read whole).
    pub sweep_blocks: u32,
    /// Ids of the key check per stream and round (a key space this small is checked whole).
    pub check_keys: u32,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            sweep_blocks: 512,
            check_keys: 32_768,
        }
    }
}

/// What the source's catalog says about a stream's table, read inside the snapshot.
#[derive(Debug)]
pub struct Facts {
    pub relfilenode: i64,
    /// Pages, measured after the snapshot was taken (so every page holding a row version of a
    /// transaction finished before the snapshot is counted).
    pub blocks: i64,
    pub max_id: Option<i32>,
    /// A valid, non-partial b-tree index led by write_date.
    pub write_date_index: bool,
}

pub fn facts(source: &mut Transaction<'_>, stream: &Stream) -> Result<Facts> {
    let table = format!("public.{}", stream.source_table);
    let row = source
        .query_one(
            &format!(
                "SELECT coalesce(pg_relation_filenode(c.oid), 0)::bigint,
                        pg_relation_size(c.oid) / current_setting('block_size')::bigint,
                        (SELECT max(id) FROM {table}),
                        EXISTS (SELECT 1 FROM pg_index i
                                JOIN pg_class ic ON ic.oid = i.indexrelid
                                JOIN pg_am am ON am.oid = ic.relam
                                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                                WHERE i.indrelid = c.oid AND am.amname = 'btree' AND i.indisvalid
                                  AND i.indpred IS NULL AND a.attname = 'write_date')
                 FROM pg_class c WHERE c.oid = $1::text::regclass"
            ),
            &[&table],
        )
        .db(Side::Source, format!("reading the catalog of {table}"))?;
    Ok(Facts {
        relfilenode: row.get(0),
        blocks: row.get(1),
        max_id: row.get(2),
        write_date_index: row.get(3),
    })
}

/// The id range's state (see the module's doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyState {
    pub floor: Option<i32>,
    pub pending: Option<i32>,
    pub pending_xmax: Option<i64>,
}

impl KeyState {
    /// The floor this round reads above (`None`: no key range; the sweep covers the table).
    /// Right after a full load there is no safe floor yet: the highest id then is used, and rows
    /// of transactions open during the load with lower ids come with the sweep.
    pub fn read_floor(&self) -> Option<i32> {
        self.floor.or(self.pending)
    }

    /// After a round whose snapshot has `horizon` and `xmax` and saw `max_id`: the pending
    /// floor becomes the floor once every transaction open at its round has finished.
    pub fn advance(self, horizon: i64, xmax: i64, max_id: Option<i32>) -> KeyState {
        let candidate = (max_id, Some(xmax));
        match self.pending_xmax {
            Some(px) if horizon >= px => KeyState {
                floor: self.pending.or(self.floor),
                pending: candidate.0,
                pending_xmax: candidate.1,
            },
            Some(_) => self,
            None => KeyState {
                floor: self.floor,
                pending: candidate.0,
                pending_xmax: candidate.1,
            },
        }
    }
}

/// The pages a round sweeps: `(first block, end block or open, horizon)`.
#[derive(Debug, PartialEq, Eq)]
pub struct SweepPlan {
    pub ranges: Vec<(u32, Option<u32>, i64)>,
    /// Every chunk's horizon after this round.
    pub horizons: Vec<i64>,
    pub next: i32,
    pub blocks: u64,
}

/// The chunks' horizons after a round that read the whole table (a full load, a scan round).
pub fn whole_table(horizon: i64, blocks: i64) -> Vec<i64> {
    vec![horizon; (blocks.max(0) as u64).div_ceil(u64::from(CHUNK_BLOCKS)) as usize]
}

/// Plan the sweep. `old`: the chunks' horizons (a chunk beyond them did not exist at the
/// previous round: every row version on it is of a transaction at or above `prev_horizon`);
/// `rewritten`: the table's file changed (VACUUM FULL, CLUSTER): row versions moved, so every
/// chunk starts from the oldest horizon.
pub fn plan_sweep(
    old: &[i64],
    rewritten: bool,
    prev_horizon: i64,
    now_horizon: i64,
    blocks: i64,
    cursor: i32,
    budget_blocks: u32,
) -> SweepPlan {
    let chunks = (blocks.max(0) as u64).div_ceil(u64::from(CHUNK_BLOCKS)) as usize;
    let floor = old
        .iter()
        .copied()
        .chain([prev_horizon])
        .min()
        .unwrap_or(prev_horizon);
    let (mut horizons, grown_from) = if rewritten {
        (vec![floor; chunks], chunks)
    } else {
        let mut h = old.to_vec();
        let grown_from = h.len().min(chunks);
        h.resize(chunks, prev_horizon);
        (h, grown_from)
    };
    let budget = (budget_blocks / CHUNK_BLOCKS).max(1) as usize;

    let mut pick: BTreeSet<usize> = BTreeSet::new();
    let next;
    if chunks <= budget {
        pick.extend(0..chunks);
        next = 0;
    } else {
        let start = (cursor.max(0) as usize) % chunks;
        for k in 0..budget {
            pick.insert((start + k) % chunks);
        }
        next = ((start + budget) % chunks) as i32;
        // The pages the table grew by since the previous round: new rows and moved versions.
        pick.extend(grown_from..chunks);
    }

    let mut ranges = Vec::new();
    let mut run: Option<(usize, usize, i64)> = None;
    for &c in &pick {
        run = match run {
            Some((a, b, h)) if b == c => Some((a, c + 1, h.min(horizons[c]))),
            Some(done) => {
                ranges.push(done);
                Some((c, c + 1, horizons[c]))
            }
            None => Some((c, c + 1, horizons[c])),
        };
    }
    ranges.extend(run);
    let mut blocks_swept = 0u64;
    let out = ranges
        .into_iter()
        .map(|(a, b, h)| {
            blocks_swept += ((b - a) as u64) * u64::from(CHUNK_BLOCKS);
            let first = a as u32 * CHUNK_BLOCKS;
            // The last chunk's range stays open: pages added while the round runs are read too.
            let end = (b < chunks).then_some(b as u32 * CHUNK_BLOCKS);
            (first, end, h)
        })
        .collect::<Vec<_>>();
    // A table with no page yet: still read it whole (a row may be on its first page by now).
    let out = if chunks == 0 {
        vec![(0, None, floor)]
    } else {
        out
    };
    for &c in &pick {
        horizons[c] = now_horizon;
    }
    SweepPlan {
        ranges: out,
        horizons,
        next,
        blocks: blocks_swept,
    }
}

/// An xid as the 32-bit value `age()` compares (`H` a 64-bit transaction id).
pub fn xid_literal(full: i64) -> String {
    format!("'{}'::xid", full.rem_euclid(1 << 32))
}

/// The source conditions of a ranged round (concatenated by `copy_stream`, each a branch with
/// its own access path; later branches exclude what earlier ones read).
pub fn branches(
    horizon: i64,
    key_floor: Option<i32>,
    write_date_floor: Option<NaiveDateTime>,
    sweep: &[(u32, Option<u32>, i64)],
) -> Vec<String> {
    let changed = format!("age(xmin) <= age({})", xid_literal(horizon));
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    if let Some(f) = key_floor {
        let cond = format!("id > {f} AND {changed}");
        out.push(cond.clone());
        seen.push(cond);
    }
    if let Some(w) = write_date_floor {
        let cond = format!(
            "write_date >= '{}'::timestamp AND {changed}",
            w.format("%Y-%m-%d %H:%M:%S%.6f")
        );
        let exclude = seen
            .iter()
            .map(|s| format!(" AND ({s}) IS NOT TRUE"))
            .collect::<String>();
        out.push(format!("{cond}{exclude}"));
        seen.push(cond);
    }
    for &(first, end, h) in sweep {
        let mut cond = format!("ctid >= '({first},0)'::tid");
        if let Some(end) = end {
            cond.push_str(&format!(" AND ctid < '({end},0)'::tid"));
        }
        cond.push_str(&format!(" AND age(xmin) <= age({})", xid_literal(h)));
        for s in &seen {
            cond.push_str(&format!(" AND ({s}) IS NOT TRUE"));
        }
        out.push(cond);
    }
    out
}

/// The slice of the key space a round checks: `[lo, hi)`, and where the next one starts.
pub fn check_window(top: i64, cursor: i64, budget: u32) -> (i64, i64, i64) {
    let budget = i64::from(budget.max(1));
    if top < budget {
        return (i64::from(i32::MIN), i64::from(i32::MAX) + 1, 0);
    }
    let lo = if cursor > top || cursor < 0 {
        0
    } else {
        cursor
    };
    let hi = lo + budget;
    // The first slice also takes every id below 0; the last one every id above the top.
    let lo_sql = if lo == 0 { i64::from(i32::MIN) } else { lo };
    if hi > top {
        (lo_sql, i64::from(i32::MAX) + 1, 0)
    } else {
        (lo_sql, hi, hi)
    }
}

/// The keys' hash: a multiplicative one in 64-bit integers, the same on any server.
const KEY_HASH: &str = "(id::bigint * 2654435761) % 4294967311";

/// `count(*)` and the sum of the keys' hashes over `[lo, hi)`: one aggregate over an index range.
fn slice_sum(
    tx: &mut Transaction<'_>,
    side: Side,
    table: &str,
    lo: i64,
    hi: i64,
) -> Result<(i64, i64)> {
    let row = tx
        .query_one(
            &format!(
                "SELECT count(*), coalesce(sum({KEY_HASH}), 0)::bigint
                 FROM {table} WHERE id >= $1::bigint AND id < $2::bigint"
            ),
            &[&lo, &hi],
        )
        .db(side, format!("checking the keys of {table}"))?;
    Ok((row.get(0), row.get(1)))
}

fn group_sums(
    tx: &mut Transaction<'_>,
    side: Side,
    table: &str,
    lo: i64,
    hi: i64,
) -> Result<BTreeMap<i64, (i64, i64)>> {
    let rows = tx
        .query(
            &format!(
                "SELECT div(id, {GROUP_IDS})::bigint, count(*), sum({KEY_HASH})::bigint
                 FROM {table} WHERE id >= $1::bigint AND id < $2::bigint GROUP BY 1"
            ),
            &[&lo, &hi],
        )
        .db(side, format!("checking the keys of {table}"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect())
}

fn group_ids(
    tx: &mut Transaction<'_>,
    side: Side,
    table: &str,
    groups: &[i64],
) -> Result<Vec<i32>> {
    let rows = tx
        .query(
            &format!(
                "SELECT t.id FROM unnest($1::bigint[]) g(g)
                 JOIN {table} t ON t.id >= g.g * {GROUP_IDS} AND t.id < (g.g + 1) * {GROUP_IDS}
                 ORDER BY 1"
            ),
            &[&groups],
        )
        .db(side, format!("reading the keys of {table}"))?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

/// Keys of the slice `[lo, hi)` that the target has and the source no longer does. Returns them
/// and how many source keys the slice held.
pub fn vanished_in(
    source: &mut Transaction<'_>,
    target: &mut Transaction<'_>,
    stream: &Stream,
    lo: i64,
    hi: i64,
) -> Result<(Vec<i32>, u64)> {
    let src_table = format!("public.{}", stream.source_table);
    // The whole slice first: equal on both sides (the usual case), nothing more to read.
    let whole = slice_sum(source, Side::Source, &src_table, lo, hi)?;
    let checked = whole.0 as u64;
    if whole == slice_sum(target, Side::Target, &stream.qualified_target(), lo, hi)? {
        return Ok((Vec::new(), checked));
    }
    let src = group_sums(source, Side::Source, &src_table, lo, hi)?;
    let tgt = group_sums(target, Side::Target, &stream.qualified_target(), lo, hi)?;
    let differ: Vec<i64> = tgt
        .iter()
        .filter(|(g, sums)| src.get(g) != Some(sums))
        .map(|(g, _)| *g)
        .collect();
    if differ.is_empty() {
        return Ok((Vec::new(), checked));
    }
    let have: BTreeSet<i32> = group_ids(source, Side::Source, &src_table, &differ)?
        .into_iter()
        .collect();
    let gone = group_ids(target, Side::Target, &stream.qualified_target(), &differ)?
        .into_iter()
        .filter(|id| !have.contains(id))
        .collect();
    Ok((gone, checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_floor_waits_for_the_transactions_open_at_its_round() {
        // Full load: highest id 100, xmax 50.
        let s = KeyState::default().advance(40, 50, Some(100));
        assert_eq!(s.read_floor(), Some(100));
        // A round whose horizon is still 45 (a transaction of the load's time is open): the
        // floor must not move; nothing new pending either.
        let s2 = s.advance(45, 60, Some(180));
        assert_eq!(s2, s);
        // Horizon 55 >= 50: 100 becomes the floor, 200 (this round's) waits for xmax 70.
        let s3 = s2.advance(55, 70, Some(200));
        assert_eq!(
            s3,
            KeyState {
                floor: Some(100),
                pending: Some(200),
                pending_xmax: Some(70)
            }
        );
        // An empty table keeps its floor until it has rows.
        let e = KeyState::default().advance(1, 2, None);
        assert_eq!(e.read_floor(), None);
        assert_eq!(e.advance(3, 4, Some(7)).floor, None);
        assert_eq!(e.advance(3, 4, Some(7)).pending, Some(7));
    }

    #[test]
    fn a_small_table_is_swept_whole_each_round() {
        let p = plan_sweep(&[], false, 10, 20, 300, 0, 1024);
        assert_eq!(p.ranges, vec![(0, None, 10)]);
        assert_eq!(p.horizons, vec![20, 20, 20]);
        let p = plan_sweep(&[5, 20, 20], false, 20, 30, 300, 0, 1024);
        assert_eq!(p.ranges, vec![(0, None, 5)]);
        // An empty table: still read whole.
        assert_eq!(
            plan_sweep(&[], false, 10, 20, 0, 0, 1024).ranges,
            vec![(0, None, 10)]
        );
    }

    #[test]
    fn a_large_table_is_swept_round_robin_plus_what_it_grew_by() {
        // 10 chunks known, 12 now, budget 2 chunks, cursor at 9.
        let old: Vec<i64> = (0..10).map(|i| 100 + i).collect();
        let p = plan_sweep(&old, false, 150, 200, 12 * 128, 9, 256);
        // chunks 9, 10 (round robin), 10 and 11 (grown): 9..12 open, horizon min(109, 150).
        assert_eq!(p.ranges, vec![(9 * 128, None, 109)]);
        assert_eq!(p.next, 11);
        assert_eq!(p.horizons[9..], [200, 200, 200]);
        assert_eq!(p.horizons[..9], old[..9]);
        // Wrapping: cursor 11, budget 2 -> chunks 11 and 0.
        let p2 = plan_sweep(&p.horizons, false, 200, 300, 12 * 128, 11, 256);
        assert_eq!(p2.ranges, vec![(0, Some(128), 100), (11 * 128, None, 200)]);
        assert_eq!(p2.next, 1);
        // A rewritten table: every chunk from the oldest horizon.
        let p3 = plan_sweep(&p2.horizons, true, 300, 400, 12 * 128, 1, 256);
        assert_eq!(p3.ranges, vec![(128, Some(384), 101)]);
        assert!(p3.horizons.iter().filter(|&&h| h == 101).count() == 10);
    }

    #[test]
    fn branches_exclude_what_earlier_ones_read() {
        let b = branches(7, Some(100), None, &[(0, Some(128), 5), (256, None, 6)]);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0], "id > 100 AND age(xmin) <= age('7'::xid)");
        assert_eq!(
            b[1],
            "ctid >= '(0,0)'::tid AND ctid < '(128,0)'::tid AND age(xmin) <= age('5'::xid) \
             AND (id > 100 AND age(xmin) <= age('7'::xid)) IS NOT TRUE"
        );
        assert!(b[2].starts_with("ctid >= '(256,0)'::tid AND age(xmin)"));
        let wd = NaiveDateTime::parse_from_str("2026-05-01 10:00:00", "%Y-%m-%d %H:%M:%S").ok();
        let b = branches((1 << 32) + 3, None, wd, &[]);
        assert_eq!(
            b,
            vec!["write_date >= '2026-05-01 10:00:00.000000'::timestamp AND age(xmin) <= age('3'::xid)"]
        );
    }

    #[test]
    fn the_key_check_walks_the_key_space_in_slices() {
        assert_eq!(
            check_window(1000, 0, 4096),
            (i32::MIN as i64, i32::MAX as i64 + 1, 0)
        );
        assert_eq!(check_window(10_000, 0, 4096), (i32::MIN as i64, 4096, 4096));
        assert_eq!(check_window(10_000, 4096, 4096), (4096, 8192, 8192));
        assert_eq!(
            check_window(10_000, 8192, 4096),
            (8192, i32::MAX as i64 + 1, 0)
        );
        assert_eq!(
            check_window(10_000, 20_000, 4096),
            (i32::MIN as i64, 4096, 4096)
        );
    }
}
