//! PostgreSQL's binary COPY format, streamed: one tuple in memory at a time, so the ETL's memory
//! stays flat whatever the table size. Fields the ETL does not transform are passed through as
//! bytes; the codec only needs to know the wire layout, not the types.
use std::io::{BufRead, Write};

use bytes::BytesMut;
use postgres::types::{ToSql, Type};
use rust_decimal::Decimal;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Reads tuples from a binary COPY stream.
pub struct TupleReader<R> {
    input: R,
    started: bool,
    finished: bool,
    data: Vec<u8>,
    fields: Vec<Option<(usize, usize)>>,
}

/// Why a stream could not be decoded.
#[derive(Debug)]
pub enum FormatError {
    Io(std::io::Error),
    Malformed(String),
}

impl From<std::io::Error> for FormatError {
    fn from(err: std::io::Error) -> Self {
        FormatError::Io(err)
    }
}

impl<R: BufRead> TupleReader<R> {
    pub fn new(input: R) -> Self {
        TupleReader {
            input,
            started: false,
            finished: false,
            data: Vec::with_capacity(256),
            fields: Vec::new(),
        }
    }

    fn read_header(&mut self) -> Result<(), FormatError> {
        let mut sig = [0u8; 11];
        self.input.read_exact(&mut sig)?;
        if &sig != SIGNATURE {
            return Err(FormatError::Malformed("missing PGCOPY signature".into()));
        }
        let _flags = self.read_i32()?;
        let ext = self.read_i32()?;
        if ext < 0 {
            return Err(FormatError::Malformed(
                "negative header extension length".into(),
            ));
        }
        let mut skip = vec![0u8; ext as usize];
        self.input.read_exact(&mut skip)?;
        self.started = true;
        Ok(())
    }

    fn read_i32(&mut self) -> Result<i32, FormatError> {
        let mut b = [0u8; 4];
        self.input.read_exact(&mut b)?;
        Ok(i32::from_be_bytes(b))
    }

    /// Advance to the next tuple; `false` at the end of the stream (and after it).
    pub fn next_tuple(&mut self) -> Result<bool, FormatError> {
        if self.finished {
            return Ok(false);
        }
        if !self.started {
            self.read_header()?;
        }
        let mut b = [0u8; 2];
        self.input.read_exact(&mut b)?;
        let count = i16::from_be_bytes(b);
        if count == -1 {
            self.finished = true;
            return Ok(false);
        }
        if count < 0 {
            return Err(FormatError::Malformed(format!(
                "negative field count {count}"
            )));
        }
        self.data.clear();
        self.fields.clear();
        for _ in 0..count {
            let len = self.read_i32()?;
            if len == -1 {
                self.fields.push(None);
                continue;
            }
            if len < 0 {
                return Err(FormatError::Malformed(format!(
                    "negative field length {len}"
                )));
            }
            let start = self.data.len();
            self.data.resize(start + len as usize, 0);
            self.input.read_exact(&mut self.data[start..])?;
            self.fields.push(Some((start, start + len as usize)));
        }
        Ok(true)
    }
}

impl<R> TupleReader<R> {
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// The raw bytes of field `i` of the current tuple (`None`: SQL NULL).
    pub fn field(&self, i: usize) -> Option<&[u8]> {
        self.fields
            .get(i)
            .copied()
            .flatten()
            .map(|(s, e)| &self.data[s..e])
    }
}

/// Writes tuples in binary COPY format.
pub struct TupleWriter<W: Write> {
    out: W,
    scratch: BytesMut,
}

impl<W: Write> TupleWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(SIGNATURE)?;
        out.write_all(&0i32.to_be_bytes())?;
        out.write_all(&0i32.to_be_bytes())?;
        Ok(TupleWriter {
            out,
            scratch: BytesMut::with_capacity(64),
        })
    }

    pub fn begin(&mut self, fields: usize) -> std::io::Result<()> {
        self.out.write_all(&(fields as i16).to_be_bytes())
    }

    pub fn raw(&mut self, value: Option<&[u8]>) -> std::io::Result<()> {
        match value {
            None => self.out.write_all(&(-1i32).to_be_bytes()),
            Some(bytes) => {
                self.out.write_all(&(bytes.len() as i32).to_be_bytes())?;
                self.out.write_all(bytes)
            }
        }
    }

    pub fn numeric(&mut self, value: &Decimal) -> std::io::Result<()> {
        self.scratch.clear();
        value
            .to_sql(&Type::NUMERIC, &mut self.scratch)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let len = self.scratch.len() as i32;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(&self.scratch)
    }

    /// Write the trailer and hand back the underlying writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(&(-1i16).to_be_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Decoders for the few wire types the ETL inspects.
pub mod decode {
    pub fn i32(b: &[u8]) -> Option<i32> {
        b.try_into().ok().map(i32::from_be_bytes)
    }
    pub fn i64(b: &[u8]) -> Option<i64> {
        b.try_into().ok().map(i64::from_be_bytes)
    }
    pub fn f64(b: &[u8]) -> Option<f64> {
        b.try_into().ok().map(f64::from_be_bytes)
    }
    /// jsonb's binary form is a version byte (1) followed by the JSON text.
    pub fn jsonb(b: &[u8]) -> Option<&str> {
        match b.split_first() {
            Some((1, text)) => std::str::from_utf8(text).ok(),
            _ => None,
        }
    }
    pub fn text(b: &[u8]) -> Option<&str> {
        std::str::from_utf8(b).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn round_trips_tuples_with_nulls() {
        let mut w = TupleWriter::new(Vec::new()).expect("vec");
        w.begin(3).expect("vec");
        w.raw(Some(&7i32.to_be_bytes())).expect("vec");
        w.raw(None).expect("vec");
        w.numeric(&Decimal::from_str("12.50").expect("dec"))
            .expect("vec");
        let bytes = w.finish().expect("vec");
        let mut r = TupleReader::new(&bytes[..]);
        assert!(r.next_tuple().expect("tuple"));
        assert_eq!(r.field_count(), 3);
        assert_eq!(r.field(0).and_then(decode::i32), Some(7));
        assert_eq!(r.field(1), None);
        assert!(r.field(2).is_some());
        assert!(!r.next_tuple().expect("trailer"));
        assert!(!r.next_tuple().expect("still the end"));
    }

    #[test]
    fn rejects_garbage() {
        let mut r = TupleReader::new(&b"not a copy stream"[..]);
        assert!(matches!(r.next_tuple(), Err(FormatError::Malformed(_))));
    }

    #[test]
    fn decodes_jsonb() {
        assert_eq!(
            decode::jsonb(b"\x01{\"en_US\": \"x\"}"),
            Some("{\"en_US\": \"x\"}")
        );
        assert_eq!(decode::jsonb(b"{}"), None);
    }
}
