//! The audit's external sort: the first pass evaluates orders in `order_id` order (the order
//! the source reads its lines in without sorting 10M rows) and leaves one small record per
//! (card, order); the second pass needs them in (card, date, order) order. Records are kept in
//! memory up to a budget, then written as sorted runs to anonymous temporary files (gone with
//! the process, even on a crash) and merged back: memory stays flat whatever the history size.
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use crate::error::{EtlError, Result};

/// The second pass's order: the card, then Odoo's date, then the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub card_id: i32,
    /// `date_order` in microseconds since the Unix epoch.
    pub date_us: i64,
    pub order_id: i32,
}

const KEY_BYTES: usize = 4 + 8 + 4;

impl Key {
    fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&self.card_id.to_le_bytes())?;
        out.write_all(&self.date_us.to_le_bytes())?;
        out.write_all(&self.order_id.to_le_bytes())
    }

    fn read(b: &[u8; KEY_BYTES]) -> Key {
        let mut i4 = [0u8; 4];
        let mut i8 = [0u8; 8];
        i4.copy_from_slice(&b[0..4]);
        i8.copy_from_slice(&b[4..12]);
        let card_id = i32::from_le_bytes(i4);
        i4.copy_from_slice(&b[12..16]);
        Key {
            card_id,
            date_us: i64::from_le_bytes(i8),
            order_id: i32::from_le_bytes(i4),
        }
    }
}

fn io(during: &str, source: std::io::Error) -> EtlError {
    EtlError::Io {
        during: format!("{during} (the audit's temporary files)"),
        source,
    }
}

/// Records (a key and opaque bytes) in, sorted by key out.
pub struct Spill {
    budget: usize,
    payloads: Vec<u8>,
    /// (key, start, end) into `payloads`.
    index: Vec<(Key, u32, u32)>,
    runs: Vec<File>,
}

impl Spill {
    /// `budget`: bytes held in memory before a run is written (payloads are indexed with
    /// 32-bit offsets: at most 4 GiB; the audit checks its option).
    pub fn new(budget: usize) -> Spill {
        Spill {
            budget,
            payloads: Vec::new(),
            index: Vec::new(),
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, key: Key, payload: &[u8]) -> Result<()> {
        let start = self.payloads.len();
        self.payloads.extend_from_slice(payload);
        self.index
            .push((key, start as u32, self.payloads.len() as u32));
        if self.payloads.len() + self.index.len() * 24 >= self.budget {
            self.write_run()?;
        }
        Ok(())
    }

    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn sort(&mut self) {
        // Stable: records of one key keep their push order.
        self.index.sort_by_key(|r| r.0);
    }

    fn write_run(&mut self) -> Result<()> {
        self.sort();
        let file = tempfile::tempfile().map_err(|e| io("creating a run", e))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        for (key, start, end) in &self.index {
            let bytes = &self.payloads[*start as usize..*end as usize];
            key.write(&mut out)
                .and_then(|_| out.write_all(&(bytes.len() as u32).to_le_bytes()))
                .and_then(|_| out.write_all(bytes))
                .map_err(|e| io("writing a run", e))?;
        }
        let mut file = out
            .into_inner()
            .map_err(|e| io("writing a run", e.into_error()))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| io("rewinding a run", e))?;
        self.runs.push(file);
        self.index.clear();
        self.payloads.clear();
        Ok(())
    }

    /// Every record pushed, in key order.
    pub fn sorted(mut self) -> Result<Sorted> {
        if !self.runs.is_empty() && !self.index.is_empty() {
            self.write_run()?;
        }
        self.sort();
        let mut readers: Vec<BufReader<File>> = self
            .runs
            .drain(..)
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .collect();
        let mut heads = BinaryHeap::new();
        let mut current = Vec::with_capacity(readers.len());
        for (i, r) in readers.iter_mut().enumerate() {
            let mut payload = Vec::new();
            if let Some(key) = read_record(r, &mut payload)? {
                heads.push(Reverse((key, i)));
            }
            current.push(payload);
        }
        Ok(Sorted {
            memory: self,
            next_in_memory: 0,
            readers,
            heads,
            current,
            out: Vec::new(),
        })
    }
}

fn read_record(r: &mut impl Read, payload: &mut Vec<u8>) -> Result<Option<Key>> {
    let mut key = [0u8; KEY_BYTES];
    match r.read_exact(&mut key) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(io("reading a run", e)),
    }
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(|e| io("reading a run", e))?;
    payload.resize(u32::from_le_bytes(len) as usize, 0);
    r.read_exact(payload).map_err(|e| io("reading a run", e))?;
    Ok(Some(Key::read(&key)))
}

/// The merge of the runs (or the records held in memory when none was written).
pub struct Sorted {
    memory: Spill,
    next_in_memory: usize,
    readers: Vec<BufReader<File>>,
    heads: BinaryHeap<Reverse<(Key, usize)>>,
    /// Each run's pending record's payload.
    current: Vec<Vec<u8>>,
    out: Vec<u8>,
}

impl Sorted {
    /// Runs merged from disk (0: everything stayed in memory).
    pub fn runs(&self) -> usize {
        self.readers.len()
    }

    /// The next record; its payload stays valid until the next call.
    pub fn next_record(&mut self) -> Result<Option<(Key, &[u8])>> {
        if self.readers.is_empty() {
            let Some(&(key, start, end)) = self.memory.index.get(self.next_in_memory) else {
                return Ok(None);
            };
            self.next_in_memory += 1;
            return Ok(Some((
                key,
                &self.memory.payloads[start as usize..end as usize],
            )));
        }
        let Some(Reverse((key, run))) = self.heads.pop() else {
            return Ok(None);
        };
        std::mem::swap(&mut self.out, &mut self.current[run]);
        if let Some(next) = read_record(&mut self.readers[run], &mut self.current[run])? {
            self.heads.push(Reverse((next, run)));
        }
        Ok(Some((key, &self.out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(card_id: i32, date_us: i64, order_id: i32) -> Key {
        Key {
            card_id,
            date_us,
            order_id,
        }
    }

    fn drain(mut sorted: Sorted) -> Vec<(Key, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some((k, p)) = sorted.next_record().unwrap() {
            out.push((k, p.to_vec()));
        }
        out
    }

    fn records(n: i32) -> Vec<(Key, Vec<u8>)> {
        // A scrambled order, payloads of varying length (some empty).
        (0..n)
            .map(|i| {
                let j = (i * 7919) % n;
                (
                    key(j % 13, i64::from(j % 5) - 2, j),
                    vec![j as u8; (j % 4) as usize],
                )
            })
            .collect()
    }

    #[test]
    fn in_memory_and_spilled_give_the_same_order() {
        let input = records(1_000);
        let mut expected = input.clone();
        expected.sort_by_key(|r| r.0);
        for budget in [usize::MAX, 64, 1] {
            let mut spill = Spill::new(budget);
            for (k, p) in &input {
                spill.push(*k, p).unwrap();
            }
            let spilled = spill.runs() > 0;
            assert_eq!(spilled, budget != usize::MAX);
            assert_eq!(drain(spill.sorted().unwrap()), expected, "budget {budget}");
        }
    }

    #[test]
    fn empty() {
        assert!(drain(Spill::new(64).sorted().unwrap()).is_empty());
    }
}
