//! One source tuple to one target tuple: check every column, convert the few that change type,
//! and either write the whole tuple or none of it (a bad row is reported, never half-written).
use std::io::Write;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::copy_format::{decode, TupleReader, TupleWriter};
use crate::streams::{Conv, Sign, Stream};

/// A converted cell: either the source bytes or a new numeric.
enum Cell {
    Source(usize),
    Number(Decimal),
}

/// A bad source row: which one and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reject {
    pub stream: &'static str,
    pub table: &'static str,
    pub id: Option<i64>,
    pub reason: String,
}

/// Reusable per-stream converter.
pub struct Transformer {
    stream: &'static Stream,
    cells: Vec<Cell>,
}

/// numeric's binary sign word values for the special values (PostgreSQL numeric.c).
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;
const NUMERIC_NEG: u16 = 0x4000;

impl Transformer {
    pub fn new(stream: &'static Stream) -> Self {
        Transformer {
            stream,
            cells: Vec::with_capacity(stream.columns.len()),
        }
    }

    /// Check and convert the current tuple of `input`; write it to `out` when good.
    /// Returns the reject instead when it is bad (nothing written).
    pub fn apply<R: std::io::BufRead, W: Write>(
        &mut self,
        input: &TupleReader<R>,
        out: &mut TupleWriter<W>,
    ) -> std::io::Result<Option<Reject>> {
        if let Err(reason) = self.check(input) {
            let id = input.field(0).and_then(decode::i32).map(i64::from);
            return Ok(Some(Reject {
                stream: self.stream.name,
                table: self.stream.source_table,
                id,
                reason,
            }));
        }
        out.begin(self.cells.len())?;
        for cell in &self.cells {
            match cell {
                Cell::Source(i) => out.raw(input.field(*i))?,
                Cell::Number(d) => out.numeric(d)?,
            }
        }
        Ok(None)
    }

    fn check<R>(&mut self, input: &TupleReader<R>) -> Result<(), String> {
        self.cells.clear();
        if input.field_count() != self.stream.columns.len() {
            return Err(format!(
                "expected {} columns, got {}",
                self.stream.columns.len(),
                input.field_count()
            ));
        }
        if input.field(0).is_none() {
            return Err("id is NULL".into());
        }
        for (i, column) in self.stream.columns.iter().enumerate() {
            let value = input.field(i);
            let name = column.source;
            let cell = match column.conv {
                Conv::Pass => Cell::Source(i),
                Conv::Required => {
                    value.ok_or_else(|| format!("{name} is NULL"))?;
                    Cell::Source(i)
                }
                Conv::FloatToNumeric { required, sign } => match value {
                    None if required => return Err(format!("{name} is NULL")),
                    None => Cell::Source(i),
                    Some(bytes) => {
                        let f =
                            decode::f64(bytes).ok_or_else(|| format!("{name} is not a float8"))?;
                        let d = float_to_decimal(f).map_err(|why| format!("{name} {why}"))?;
                        check_sign(name, &d, sign)?;
                        Cell::Number(d)
                    }
                },
                Conv::Numeric { required, sign } => match value {
                    None if required => return Err(format!("{name} is NULL")),
                    None => Cell::Source(i),
                    Some(bytes) => {
                        check_numeric(name, bytes, sign)?;
                        Cell::Source(i)
                    }
                },
                Conv::Translated { required } => match value {
                    None if required => return Err(format!("{name} is NULL")),
                    None => Cell::Source(i),
                    Some(bytes) => {
                        check_translated(name, bytes)?;
                        Cell::Source(i)
                    }
                },
                Conv::OneOf { required, values } => match value {
                    None if required => return Err(format!("{name} is NULL")),
                    None => Cell::Source(i),
                    Some(bytes) => {
                        let text =
                            decode::text(bytes).ok_or_else(|| format!("{name} is not UTF-8"))?;
                        if !values.contains(&text) {
                            return Err(format!(
                                "{name} {text:?} is not one of {}",
                                values.join(", ")
                            ));
                        }
                        Cell::Source(i)
                    }
                },
            };
            self.cells.push(cell);
        }
        Ok(())
    }
}

/// A float read through its shortest round-trip representation, as docs/spec.md reads floats:
/// 0.1 stays 0.1 rather than 0.1000000000000000055511151231257827.
pub fn float_to_decimal(f: f64) -> Result<Decimal, String> {
    if f.is_nan() {
        return Err("is NaN".into());
    }
    if f.is_infinite() {
        return Err("is infinite".into());
    }
    // `{:e}` is the shortest round-trip digits with an exponent; Decimal parses that form.
    let text = format!("{f:e}");
    Decimal::from_scientific(&text)
        .or_else(|_| Decimal::from_str(&format!("{f}")))
        .map(|d| d.normalize())
        .map_err(|_| format!("{f} is out of the exact decimal range"))
}

fn check_sign(name: &str, d: &Decimal, sign: Sign) -> Result<(), String> {
    match sign {
        Sign::Any => Ok(()),
        Sign::NonNegative if d.is_sign_negative() && !d.is_zero() => {
            Err(format!("{name} {d} is negative"))
        }
        Sign::Positive if d.is_sign_negative() || d.is_zero() => {
            Err(format!("{name} {d} is not positive"))
        }
        _ => Ok(()),
    }
}

/// numeric wire form: ndigits, weight, sign, dscale (i16 each), then digits.
fn check_numeric(name: &str, bytes: &[u8], sign: Sign) -> Result<(), String> {
    let sign_word = bytes
        .get(4..6)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| format!("{name} is not a numeric"))?;
    match sign_word {
        NUMERIC_NAN => return Err(format!("{name} is NaN")),
        NUMERIC_PINF | NUMERIC_NINF => return Err(format!("{name} is infinite")),
        _ => {}
    }
    let ndigits = u16::from_be_bytes([bytes[0], bytes[1]]);
    let negative = sign_word == NUMERIC_NEG && ndigits > 0;
    let zero = ndigits == 0;
    match sign {
        Sign::NonNegative if negative => Err(format!("{name} is negative")),
        Sign::Positive if negative || zero => Err(format!("{name} is not positive")),
        _ => Ok(()),
    }
}

fn check_translated(name: &str, bytes: &[u8]) -> Result<(), String> {
    let text = decode::jsonb(bytes).ok_or_else(|| format!("{name} is not jsonb"))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("{name} is not valid JSON: {e}"))?;
    match value.as_object() {
        Some(map) if !map.is_empty() && map.values().all(|v| v.is_string()) => Ok(()),
        _ => Err(format!(
            "{name} is not a translation object {{\"lang\": \"text\", ...}}: {text}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::by_name;

    fn tuple(fields: &[Option<Vec<u8>>]) -> Vec<u8> {
        let mut w = TupleWriter::new(Vec::new()).expect("vec");
        w.begin(fields.len()).expect("vec");
        for f in fields {
            w.raw(f.as_deref()).expect("vec");
        }
        w.finish().expect("vec")
    }

    fn card(points: f64, code: Option<&str>) -> Vec<u8> {
        tuple(&[
            Some(5i32.to_be_bytes().to_vec()),
            Some(1i32.to_be_bytes().to_vec()),
            None,
            code.map(|c| c.as_bytes().to_vec()),
            Some(vec![1]),
            None,
            Some(points.to_be_bytes().to_vec()),
            None,
            None,
        ])
    }

    fn run(bytes: &[u8]) -> Option<Reject> {
        let stream = by_name("cards").expect("cards");
        let mut r = TupleReader::new(bytes);
        assert!(r.next_tuple().expect("tuple"));
        let mut w = TupleWriter::new(Vec::new()).expect("vec");
        Transformer::new(stream).apply(&r, &mut w).expect("io")
    }

    #[test]
    fn floats_read_through_shortest_repr() {
        assert_eq!(float_to_decimal(0.1).expect("ok").to_string(), "0.1");
        assert_eq!(float_to_decimal(123.45).expect("ok").to_string(), "123.45");
        assert_eq!(
            float_to_decimal(0.1 + 0.2).expect("ok").to_string(),
            "0.30000000000000004"
        );
        assert_eq!(float_to_decimal(-2.0).expect("ok").to_string(), "-2");
        assert!(float_to_decimal(f64::NAN).is_err());
        assert!(float_to_decimal(f64::INFINITY).is_err());
        assert!(float_to_decimal(1e300).is_err());
    }

    #[test]
    fn good_card_passes_and_bad_cards_are_named() {
        assert_eq!(run(&card(10.5, Some("C-5"))), None);
        let nan = run(&card(f64::NAN, Some("C-5"))).expect("reject");
        assert_eq!((nan.table, nan.id), ("loyalty_card", Some(5)));
        assert!(nan.reason.contains("points is NaN"), "{}", nan.reason);
        let no_code = run(&card(1.0, None)).expect("reject");
        assert!(
            no_code.reason.contains("code is NULL"),
            "{}",
            no_code.reason
        );
    }

    #[test]
    fn numeric_specials_are_rejected() {
        let nan = [0u8, 0, 0, 0, 0xC0, 0, 0, 0];
        assert!(check_numeric("x", &nan, Sign::Any).is_err());
        let minus_one = [0u8, 1, 0, 0, 0x40, 0, 0, 0, 0, 1];
        assert!(check_numeric("x", &minus_one, Sign::Any).is_ok());
        assert!(check_numeric("x", &minus_one, Sign::NonNegative).is_err());
        let zero = [0u8, 0, 0, 0, 0, 0, 0, 0];
        assert!(check_numeric("x", &zero, Sign::Positive).is_err());
    }

    #[test]
    fn translations_must_be_objects_of_strings() {
        assert!(check_translated("name", b"\x01{\"en_US\": \"Points\"}").is_ok());
        assert!(check_translated("name", b"\x01\"Points\"").is_err());
        assert!(check_translated("name", b"\x01{}").is_err());
        assert!(check_translated("name", b"\x01{\"en_US\": 3}").is_err());
    }
}
