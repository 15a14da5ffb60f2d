//! The few HTTP header fields key sync honours, parsed strictly (RFC 9110, RFC 9111).
//!
//! Written here rather than pulled from a crate: three small grammars (`Retry-After`,
//! `Cache-Control: max-age`, entity tags) do not justify an HTTP stack in a sans-I/O core.

use crate::time::Timestamp;

/// The longest entity tag kept (a tag is opaque; real servers use tens of bytes).
pub const MAX_ETAG_LEN: usize = 256;

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an IMF-fixdate. Returns the delay
/// from `now` in milliseconds (0 for a date in the past); `None` if malformed.
pub fn retry_after_ms(value: &str, now: Timestamp) -> Option<i64> {
    let value = value.trim();
    if let Some(secs) = decimal(value) {
        return Some(secs.saturating_mul(1000));
    }
    let at = imf_fixdate(value)?;
    Some(at.0.saturating_sub(now.0).max(0))
}

/// `max-age` of a `Cache-Control` value (RFC 9111 §5.2.2.1) in seconds. `no-cache` and
/// `no-store` mean 0. `None` when the field says nothing about freshness.
pub fn max_age_secs(value: &str) -> Option<i64> {
    let mut max_age = None;
    for directive in value.split(',') {
        let directive = directive.trim();
        let (name, arg) = match directive.split_once('=') {
            Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
            return Some(0);
        }
        if name.eq_ignore_ascii_case("max-age") {
            // A malformed max-age makes the response stale (RFC 9111 §4.2.1).
            max_age = Some(arg.and_then(decimal).unwrap_or(0));
        }
    }
    max_age
}

/// An entity tag as received, if it is one (`"…"` or `W/"…"`, visible ASCII, bounded).
pub fn entity_tag(value: &str) -> Option<&str> {
    let value = value.trim();
    let opaque = value.strip_prefix("W/").unwrap_or(value);
    let ok = value.len() <= MAX_ETAG_LEN
        && opaque.len() >= 2
        && opaque.starts_with('"')
        && opaque.ends_with('"')
        && opaque[1..opaque.len() - 1].bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b));
    ok.then_some(value)
}

/// A non-empty run of ASCII digits, saturating at a large value instead of failing.
fn decimal(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0i64, |acc, d| acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7). The obsolete formats are not
/// accepted; a sender using them gets the engine's own backoff instead.
pub fn imf_fixdate(s: &str) -> Option<Timestamp> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let b = s.as_bytes();
    if !s.is_ascii() || b.len() != 29 || &s[3..5] != ", " || &s[25..] != " GMT" {
        return None;
    }
    if !DAYS.contains(&&s[..3]) || b[7] != b' ' || b[11] != b' ' || b[16] != b' ' {
        return None;
    }
    if b[19] != b':' || b[22] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| decimal(s.get(r)?);
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| *m == &s[8..11])? as i64 + 1;
    let year = num(12..16)?;
    let (h, m, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = crate::time::days_from_civil(year, month, day);
    Some(Timestamp::from_secs(days * 86_400 + h * 3600 + m * 60 + sec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn retry_after_forms() {
        let now = Timestamp::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"), Some(now));
        assert_eq!(retry_after_ms("120", now), Some(120_000));
        assert_eq!(retry_after_ms(" 0 ", now), Some(0));
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:51:37 GMT", now), Some(120_000));
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(0));
        assert_eq!(retry_after_ms("99999999999999999999999", now), Some(i64::MAX));
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
        ] {
            assert_eq!(retry_after_ms(bad, now), None, "{bad:?}");
        }
        assert_eq!(imf_fixdate("Sun, 32 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(imf_fixdate("Sun, 06 Nov 1994 24:49:37 GMT"), None);
        assert_eq!(imf_fixdate("Sun, 06 Nox 1994 08:49:37 GMT"), None);
        assert_eq!(imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Timestamp(0)));
        assert_eq!(
            imf_fixdate("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(Timestamp::from_secs(1_835_438_400))
        );
    }

    #[test]
    fn cache_control_forms() {
        assert_eq!(max_age_secs("max-age=300"), Some(300));
        assert_eq!(max_age_secs("public, Max-Age=60, must-revalidate"), Some(60));
        assert_eq!(max_age_secs("max-age=\"30\""), Some(30));
        assert_eq!(max_age_secs("max-age=-5"), Some(0));
        assert_eq!(max_age_secs("max-age=60, no-cache"), Some(0));
        assert_eq!(max_age_secs("no-store"), Some(0));
        assert_eq!(max_age_secs("public"), None);
        assert_eq!(max_age_secs(""), None);
    }

    #[test]
    fn entity_tags() {
        assert_eq!(entity_tag("\"5f1a-2b\""), Some("\"5f1a-2b\""));
        assert_eq!(entity_tag(" W/\"x\" "), Some("W/\"x\""));
        assert_eq!(entity_tag("\"\""), Some("\"\""));
        for bad in ["abc", "\"a\"b\"", "\"a", "W/x", "\"caf\u{e9}\"", "\"a\nb\""] {
            assert_eq!(entity_tag(bad), None, "{bad:?}");
        }
        assert_eq!(entity_tag(&format!("\"{}\"", "a".repeat(MAX_ETAG_LEN))), None);
    }

    proptest! {
        #[test]
        fn imf_fixdate_round_trips_days(days in 0i64..200_000, secs in 0i64..86_400) {
            // Format with the core's inverse (anchored to known dates in `time`), then parse back.
            let (y, m, d) = crate::time::civil_from_days(days);
            prop_assume!(y <= 9999);
            let months = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"];
            let wd = ["Thu","Fri","Sat","Sun","Mon","Tue","Wed"][(days % 7) as usize];
            let text = format!("{wd}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
                months[(m - 1) as usize], secs / 3600, secs / 60 % 60, secs % 60);
            prop_assert_eq!(imf_fixdate(&text), Some(Timestamp::from_secs(days * 86_400 + secs)));
        }

        #[test]
        fn header_parsers_never_panic(s in "\\PC{0,40}") {
            let _ = retry_after_ms(&s, Timestamp(0));
            let _ = max_age_secs(&s);
            let _ = entity_tag(&s);
        }
    }
}
