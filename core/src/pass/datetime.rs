//! Google Wallet `DateTime.date` values: RFC 3339 date-times, with the two liberties the
//! Google Wallet REST reference documents (`DateTime`): the offset may be omitted (a
//! *local* date-time, read in the user's current time zone) and may carry seconds
//! (`+05:30:15`). Fractions up to nanoseconds are accepted and truncated to milliseconds;
//! a leap second (`:60`) is read as `:59.999`.
//!
//! Written here rather than taken from `chrono`/`time`: those parse far more than RFC 3339
//! (and reject offset-less values or offset seconds), while this needs ~100 lines, no
//! clock and no time-zone database, and must fail with a precise reason on hostile input.
// Reads untrusted input: no panics. Its arithmetic is on fields of at most four digits and
// years 0..=9999, far inside i64 (the round-trip property test covers the whole range), so
// `arithmetic_side_effects` is not denied here.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// One end of a validity interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateTimeBound {
    /// An absolute instant (the value had an offset): milliseconds since the epoch, UTC.
    Instant { utc_ms: i64 },
    /// A local wall-clock time (no offset): milliseconds since the epoch as if it were UTC.
    Local { wall_ms: i64 },
}

impl DateTimeBound {
    /// The instant this bound stands for, for a user `local_offset_secs` east of UTC.
    pub fn instant(self, local_offset_secs: i32) -> Timestamp {
        match self {
            DateTimeBound::Instant { utc_ms } => Timestamp(utc_ms),
            DateTimeBound::Local { wall_ms } => {
                Timestamp(wall_ms.saturating_sub(i64::from(local_offset_secs).saturating_mul(1000)))
            }
        }
    }
}

/// Why a date-time string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 date-time: {reason} at byte {at}")]
pub struct DateTimeError {
    pub reason: &'static str,
    pub at: usize,
}

/// Longest date-time accepted: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+HH:MM:SS`.
const MAX_LEN: usize = 38;
const MS_PER_DAY: i64 = 86_400_000;

/// Parses `YYYY-MM-DD(T|t)HH:MM[:SS[.fraction]][Z|z|±HH:MM[:SS]]`.
pub fn parse_date_time(s: &str) -> Result<DateTimeBound, DateTimeError> {
    parse_date_time_with_offset(s).map(|(bound, _)| bound)
}

/// As [`parse_date_time`], also returning the offset the value was written in (seconds
/// east of UTC; `Some(0)` for `Z`, `None` for a local date-time), so a pass can show a
/// departure in the airport's own time.
pub fn parse_date_time_with_offset(s: &str) -> Result<(DateTimeBound, Option<i32>), DateTimeError> {
    if s.len() > MAX_LEN {
        return Err(DateTimeError { reason: "too long", at: MAX_LEN });
    }
    let mut c = Cursor { b: s.as_bytes(), at: 0 };
    let year = c.digits(4, "year")?;
    c.expect(b"-", "'-' after the year")?;
    let month = c.digits(2, "month")?;
    c.expect(b"-", "'-' after the month")?;
    let day = c.digits(2, "day")?;
    if !(1..=12).contains(&month) {
        return Err(c.err_back(2, "month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(c.err_back(2, "day out of range"));
    }
    c.expect(b"Tt", "'T' between date and time")?;
    let hour = c.digits(2, "hour")?;
    if hour > 23 {
        return Err(c.err_back(2, "hour out of range"));
    }
    c.expect(b":", "':' after the hour")?;
    let minute = c.digits(2, "minute")?;
    if minute > 59 {
        return Err(c.err_back(2, "minute out of range"));
    }
    let (mut second, mut millis) = (0, 0);
    if c.peek() == Some(b':') {
        c.at += 1;
        second = c.digits(2, "second")?;
        if second > 60 {
            return Err(c.err_back(2, "second out of range"));
        }
        if c.peek() == Some(b'.') {
            c.at += 1;
            millis = c.fraction_millis()?;
        }
        if second == 60 {
            (second, millis) = (59, 999);
        }
    }
    let days = crate::time::days_from_civil(year, month, day);
    let wall_ms = days * MS_PER_DAY + (hour * 3600 + minute * 60 + second) * 1000 + millis;
    let bound = match c.peek() {
        None => (DateTimeBound::Local { wall_ms }, None),
        Some(b'Z' | b'z') => {
            c.at += 1;
            (DateTimeBound::Instant { utc_ms: wall_ms }, Some(0))
        }
        Some(sign @ (b'+' | b'-')) => {
            c.at += 1;
            let oh = c.digits(2, "offset hours")?;
            c.expect(b":", "':' in the offset")?;
            let om = c.digits(2, "offset minutes")?;
            let mut os = 0;
            if c.peek() == Some(b':') {
                c.at += 1;
                os = c.digits(2, "offset seconds")?;
            }
            if oh > 23 || om > 59 || os > 59 {
                return Err(c.err_back(2, "offset out of range"));
            }
            let offset_s = oh * 3600 + om * 60 + os;
            let offset_ms = offset_s * 1000;
            let (utc_ms, east) = if sign == b'+' {
                (wall_ms - offset_ms, offset_s)
            } else {
                (wall_ms + offset_ms, -offset_s)
            };
            // |offset| < 86 400 s: always fits an i32.
            (DateTimeBound::Instant { utc_ms }, i32::try_from(east).ok())
        }
        Some(_) => return Err(c.err("unexpected character after the time")),
    };
    if c.at != c.b.len() {
        return Err(c.err("trailing characters"));
    }
    Ok(bound)
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }
    fn err(&self, reason: &'static str) -> DateTimeError {
        DateTimeError { reason, at: self.at }
    }
    fn err_back(&self, n: usize, reason: &'static str) -> DateTimeError {
        DateTimeError { reason, at: self.at.saturating_sub(n) }
    }
    fn expect(&mut self, any_of: &[u8], reason: &'static str) -> Result<(), DateTimeError> {
        match self.peek() {
            Some(b) if any_of.contains(&b) => {
                self.at += 1;
                Ok(())
            }
            _ => Err(self.err(reason)),
        }
    }
    /// Exactly `n` ASCII digits (n ≤ 4, so the value fits without overflow).
    fn digits(&mut self, n: usize, what: &'static str) -> Result<i64, DateTimeError> {
        let mut v = 0i64;
        for _ in 0..n {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + i64::from(d - b'0');
                    self.at += 1;
                }
                _ => return Err(self.err(what)),
            }
        }
        Ok(v)
    }
    /// 1–9 fraction digits, truncated to milliseconds.
    fn fraction_millis(&mut self) -> Result<i64, DateTimeError> {
        let start = self.at;
        let mut ms = 0i64;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            let pos = self.at - start;
            if pos >= 9 {
                return Err(self.err("more than 9 fraction digits"));
            }
            if pos < 3 {
                ms = ms * 10 + i64::from(d - b'0');
            }
            self.at += 1;
        }
        match self.at - start {
            0 => Err(self.err("fraction digits")),
            1 => Ok(ms * 100),
            2 => Ok(ms * 10),
            _ => Ok(ms),
        }
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        match parse_date_time(s) {
            Ok(DateTimeBound::Instant { utc_ms }) => utc_ms,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn google_examples_are_the_same_instant() {
        // The two examples of the Google Wallet DateTime reference.
        assert_eq!(utc("1985-04-12T23:20:50.52Z"), 482_196_050_520);
        assert_eq!(utc("1985-04-12T19:20:50.52-04:00"), 482_196_050_520);
    }

    #[test]
    fn epoch_leap_days_and_offsets() {
        assert_eq!(utc("1970-01-01T00:00:00Z"), 0);
        assert_eq!(utc("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(utc("2000-02-29T00:00:00Z"), 951_782_400_000);
        assert_eq!(utc("2024-03-01T05:30:00+05:30"), utc("2024-03-01T00:00:00Z"));
        assert_eq!(utc("2024-03-01T00:00:00-00:00:30"), utc("2024-03-01T00:00:30Z"));
        assert_eq!(utc("2024-03-01t00:00:00z"), utc("2024-03-01T00:00:00Z"));
        assert_eq!(utc("2016-12-31T23:59:60Z"), utc("2016-12-31T23:59:59.999Z"));
        assert_eq!(utc("2024-03-01T00:00:00.123456789Z") % 1000, 123);
        assert_eq!(utc("2024-03-01T10:11Z"), utc("2024-03-01T10:11:00Z"));
        assert_eq!(utc("0000-01-01T00:00:00Z"), -62_167_219_200_000);
        assert_eq!(utc("9999-12-31T23:59:59Z"), 253_402_300_799_000);
    }

    #[test]
    fn offsets_are_kept_as_written() {
        let at = |s| parse_date_time_with_offset(s).unwrap().1;
        assert_eq!(at("2027-03-05T06:20:00+05:30"), Some(19_800));
        assert_eq!(at("2027-03-05T06:20:00-04:00"), Some(-14_400));
        assert_eq!(at("2027-03-05T06:20:00Z"), Some(0));
        assert_eq!(at("2027-03-05T06:20:00"), None);
    }

    #[test]
    fn local_times_follow_the_user_zone() {
        let b = parse_date_time("2018-06-19T18:30:00").unwrap();
        let new_york = -4 * 3600;
        assert_eq!(b.instant(new_york), Timestamp(utc("2018-06-19T18:30:00-04:00")));
        assert_eq!(b.instant(0), Timestamp(utc("2018-06-19T18:30:00Z")));
    }

    #[test]
    fn refuses_what_is_not_rfc_3339() {
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-01-01",
            "2024-01-01 00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:61Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00.1234567890Z",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00Zjunk",
            "+2024-01-01T00:00:00Z",
            "２024-01-01T00:00:00Z",
            "2024-1-01T00:00:00Z",
            "2024-01-01T00:00:00+01:00:00:00",
        ] {
            assert!(parse_date_time(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
