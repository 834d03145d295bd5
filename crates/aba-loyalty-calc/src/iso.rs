//! ISO-8601 dates and datetimes written as text (docs/spec.md §1, "Dates").
//!
//! Datetimes are UTC instants (`NaiveDateTime` in UTC): a naive text is UTC, an offset is
//! subtracted. Accepted: `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM[:SS[.f{1,6}]]`,
//! then optionally `Z` or `±HH:MM`.
use crate::error::Reason;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

fn number(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

fn date_part(bytes: &[u8]) -> Option<NaiveDate> {
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = number(&bytes[0..4])?;
    let month = number(&bytes[5..7])?;
    let day = number(&bytes[8..10])?;
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// A date written `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, Reason> {
    date_part(text.as_bytes())
        .ok_or_else(|| format!("not an ISO date (YYYY-MM-DD): {text:?}").into())
}

/// A datetime in ISO-8601, as a UTC instant.
pub fn parse_datetime(text: &str) -> Result<NaiveDateTime, Reason> {
    parse_datetime_bytes(text.as_bytes())
        .ok_or_else(|| format!("not an ISO-8601 datetime: {text:?}").into())
}

fn parse_datetime_bytes(bytes: &[u8]) -> Option<NaiveDateTime> {
    let date = date_part(bytes.get(..10)?)?;
    let rest = &bytes[10..];
    if rest.is_empty() {
        return Some(date.and_time(NaiveTime::MIN));
    }
    if rest[0] != b'T' && rest[0] != b't' && rest[0] != b' ' {
        return None;
    }
    let rest = &rest[1..];
    // The clock ends where the offset starts.
    let clock_end = rest
        .iter()
        .position(|b| matches!(b, b'Z' | b'z' | b'+' | b'-'))
        .unwrap_or(rest.len());
    let (clock, offset) = rest.split_at(clock_end);
    let time = clock_part(clock)?;
    let local = date.and_time(time);
    let offset_seconds = offset_part(offset)?;
    local.checked_sub_signed(Duration::seconds(i64::from(offset_seconds)))
}

fn clock_part(bytes: &[u8]) -> Option<NaiveTime> {
    if bytes.len() < 5 || bytes[2] != b':' {
        return None;
    }
    let hour = number(&bytes[0..2])?;
    let minute = number(&bytes[3..5])?;
    let mut second = 0;
    let mut micro = 0;
    let rest = &bytes[5..];
    if !rest.is_empty() {
        if rest.len() < 3 || rest[0] != b':' {
            return None;
        }
        second = number(&rest[1..3])?;
        let fraction = &rest[3..];
        if !fraction.is_empty() {
            if fraction[0] != b'.' && fraction[0] != b',' {
                return None;
            }
            let digits = &fraction[1..];
            if digits.is_empty() || digits.len() > 6 {
                return None;
            }
            micro = number(digits)? * 10_u32.pow(6 - digits.len() as u32);
        }
    }
    NaiveTime::from_hms_micro_opt(hour, minute, second, micro)
}

/// Seconds east of UTC.
fn offset_part(bytes: &[u8]) -> Option<i32> {
    match bytes {
        [] => Some(0),
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hours, minutes) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (number(&[*h1, *h2])?, number(&[*m1, *m2])?)
                }
                [h1, h2] => (number(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = (hours * 3600 + minutes * 60) as i32;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn parses_dates() {
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        for bad in [
            "2023-02-29",
            "2024-1-01",
            "20240101",
            "2024-01-01T00:00",
            "",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_datetimes_to_utc() {
        assert_eq!(
            parse_datetime("2024-05-01T10:00:00").unwrap(),
            utc("2024-05-01 10:00:00")
        );
        assert_eq!(
            parse_datetime("2024-05-01 10:00").unwrap(),
            utc("2024-05-01 10:00:00")
        );
        assert_eq!(
            parse_datetime("2024-05-01T10:00:00Z").unwrap(),
            utc("2024-05-01 10:00:00")
        );
        assert_eq!(
            parse_datetime("2024-05-01T01:30:00.5+07:00").unwrap(),
            utc("2024-04-30 18:30:00.5")
        );
        assert_eq!(
            parse_datetime("2024-05-01T10:00:00-02:30").unwrap(),
            utc("2024-05-01 12:30:00")
        );
        assert_eq!(
            parse_datetime("2024-05-01").unwrap(),
            utc("2024-05-01 00:00:00")
        );
        for bad in [
            "2024-05-01T25:00",
            "2024-05-01X10:00",
            "2024-05-01T10",
            "2024-05-01T10:00+7",
            "x",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
    }
}
