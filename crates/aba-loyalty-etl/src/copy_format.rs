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

    /// The whole tuple at the head of the buffer, when it is there (PostgreSQL sends one
    /// CopyData message per row, so it nearly always is): one copy, no per-field reads.
    /// `None`: not all there, nothing consumed; the caller reads it field by field.
    fn buffered_tuple(&mut self) -> Result<Option<bool>, FormatError> {
        let buf = self.input.fill_buf()?;
        let Some(count) = buf.get(..2).map(|b| i16::from_be_bytes([b[0], b[1]])) else {
            return Ok(None);
        };
        if count < 0 {
            return Ok(None); // the trailer, or malformed: the slow path says which
        }
        let mut at = 2;
        self.fields.clear();
        for _ in 0..count {
            let Some(len) = buf
                .get(at..at + 4)
                .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            else {
                return Ok(None);
            };
            at += 4;
            if len == -1 {
                self.fields.push(None);
                continue;
            }
            if len < 0 || buf.len() < at + len as usize {
                return Ok(None);
            }
            self.fields.push(Some((at, at + len as usize)));
            at += len as usize;
        }
        self.data.clear();
        self.data.extend_from_slice(&buf[..at]);
        self.input.consume(at);
        Ok(Some(true))
    }

    /// Advance to the next tuple; `false` at the end of the stream (and after it).
    pub fn next_tuple(&mut self) -> Result<bool, FormatError> {
        if self.finished {
            return Ok(false);
        }
        if !self.started {
            self.read_header()?;
        }
        if let Some(found) = self.buffered_tuple()? {
            return Ok(found);
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

    /// A binary numeric of up to 7 base-10000 digits and a scale of up to 28 (every amount,
    /// quantity and price Odoo stores) as a Decimal, without the general decoder's work
    /// (measured: the audit decodes 50M of them); `None` for anything else (NaN, larger
    /// values): the caller falls back to the general decoder.
    pub fn small_numeric(b: &[u8]) -> Option<rust_decimal::Decimal> {
        const POW10: [u64; 20] = {
            let mut p = [1u64; 20];
            let mut i = 1;
            while i < 20 {
                p[i] = p[i - 1] * 10;
                i += 1;
            }
            p
        };
        let word = |i: usize| -> Option<u16> {
            Some(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?))
        };
        let ndigits = usize::from(word(0)?);
        let weight = i32::from(word(2)? as i16);
        let sign = word(4)?;
        let dscale = u32::from(word(6)?);
        if ndigits > 7 || dscale > 28 || b.len() != 8 + 2 * ndigits || !matches!(sign, 0 | 0x4000) {
            return None;
        }
        // value = M x 10000^(weight - ndigits + 1); mantissa at dscale = M x 10^e.
        let mut m: i128 = 0;
        for i in 0..ndigits {
            let d = word(8 + 2 * i)?;
            if d >= 10_000 {
                return None;
            }
            m = m * 10_000 + i128::from(d);
        }
        let e = 4 * (weight - ndigits as i32 + 1) + dscale as i32;
        // Most amounts fit 64 bits: far cheaper than the 128-bit power and division.
        if let Ok(small) = u64::try_from(m) {
            let scaled = match usize::try_from(e) {
                Ok(up) => POW10.get(up).and_then(|p| small.checked_mul(*p)),
                Err(_) => Some(small / POW10.get(e.unsigned_abs() as usize).unwrap_or(&u64::MAX)),
            };
            if let Some(v) = scaled {
                return Some(rust_decimal::Decimal::from_parts(
                    v as u32,
                    (v >> 32) as u32,
                    0,
                    sign == 0x4000 && v != 0,
                    dscale,
                ));
            }
        }
        if e >= 0 {
            m = m.checked_mul(10i128.checked_pow(e as u32)?)?;
        } else {
            m /= 10i128.checked_pow((-e) as u32)?;
        }
        if sign == 0x4000 {
            m = -m;
        }
        rust_decimal::Decimal::try_from_i128_with_scale(m, dscale).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn small_numerics_decode_as_the_general_decoder() {
        use postgres::types::{FromSql, ToSql, Type};
        for text in [
            "0",
            "1",
            "-1",
            "0.5",
            "-0.5",
            "0.0001",
            "1000",
            "10000",
            "100000000",
            "12.345",
            "-24.44",
            "1234567.89",
            "0.000000001",
            "99999999999999.9999",
            "5.10",
            "1e-20",
            "1234567890123456789012345678",
        ] {
            let value = rust_decimal::Decimal::from_str(text)
                .or_else(|_| rust_decimal::Decimal::from_scientific(text))
                .unwrap();
            let mut wire = BytesMut::new();
            value.to_sql(&Type::NUMERIC, &mut wire).unwrap();
            let general = rust_decimal::Decimal::from_sql(&Type::NUMERIC, &wire).unwrap();
            let fast = decode::small_numeric(&wire);
            assert_eq!(fast, Some(general), "{text}");
            // The same scale and sign too, not only the same value.
            assert_eq!(
                fast.map(|d| d.to_string()),
                Some(general.to_string()),
                "{text}"
            );
        }
        // As PostgreSQL itself encodes them (trailing zero groups trimmed, a group past the
        // scale): (ndigits, weight, sign, dscale, digits) -> text.
        for (header, digits, text) in [
            ([2u16, 0, 0, 1], &[1u16, 5000][..], "1.5"),
            ([2, 0, 0x4000, 2], &[24, 4400], "-24.44"),
            ([0, 0, 0, 2], &[], "0.00"),
            ([1, 1, 0, 0], &[5], "50000"),
            ([4, 3, 0, 0], &[9999, 9999, 9999, 9999], "9999999999999999"),
            ([5, 4, 0, 0], &[1, 0, 0, 0, 1], "10000000000000001"),
            ([3, 0, 0, 6], &[3, 1415, 9200], "3.141592"),
        ] {
            let mut wire = Vec::new();
            for w in header.iter().chain(digits) {
                wire.extend_from_slice(&w.to_be_bytes());
            }
            let general = rust_decimal::Decimal::from_sql(&Type::NUMERIC, &wire).unwrap();
            assert_eq!(general.to_string(), text);
            assert_eq!(
                decode::small_numeric(&wire).map(|d| d.to_string()),
                Some(text.to_string())
            );
        }
        // More than 7 base-10000 digits: left to the general decoder.
        let mut eight = vec![0, 8, 0, 7, 0, 0, 0, 0];
        eight.extend([0u8, 1].repeat(8));
        assert_eq!(decode::small_numeric(&eight), None);
        // NaN (sign 0xC000) and truncated input.
        assert_eq!(decode::small_numeric(&[0, 0, 0, 0, 0xC0, 0, 0, 0]), None);
        assert_eq!(decode::small_numeric(&[0, 1, 0, 0]), None);
    }

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
    fn tuples_split_across_buffers_read_as_whole_ones() {
        let mut w = TupleWriter::new(Vec::new()).expect("vec");
        for i in 0..5i32 {
            w.begin(3).expect("vec");
            w.raw(Some(&i.to_be_bytes())).expect("vec");
            w.raw(None).expect("vec");
            w.raw(Some(&[b'x'; 9][..i as usize])).expect("vec");
        }
        let bytes = w.finish().expect("vec");
        // Buffers of 1 to 40 bytes: tuples cut anywhere take the field-by-field path.
        for capacity in [1, 3, 7, 40, 4096] {
            let mut r = TupleReader::new(std::io::BufReader::with_capacity(capacity, &bytes[..]));
            for i in 0..5i32 {
                assert!(r.next_tuple().expect("tuple"), "capacity {capacity}");
                assert_eq!(r.field(0).and_then(decode::i32), Some(i));
                assert_eq!(r.field(1), None);
                assert_eq!(r.field(2), Some(&[b'x'; 9][..i as usize]));
            }
            assert!(!r.next_tuple().expect("trailer"));
        }
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
