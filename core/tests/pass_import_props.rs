//! Laws of the pass import (proptest):
//! - a date-time written in RFC 3339 with any offset parses back to the instant it names
//!   (the formatter here uses the inverse calendar algorithm, `civil_from_days`, so the
//!   parser's `days_from_civil` is checked against an independent computation);
//! - a redemption value is accepted exactly when it is 1–256 printable ASCII bytes, both
//!   through the model and through the JSON import;
//! - an object written by an issuer comes back field for field, whatever the casing of
//!   `state` and the int64 spelling of `redemptionIssuers`.

use proptest::prelude::*;
use zeroize::Zeroizing;

use hce_wallet_core::pass::{
    import_json, parse_date_time, DateTimeBound, PassState, RedemptionValue,
};
use hce_wallet_core::time::civil_from_days;

/// `utc_ms` written as local time at `offset_s` east of UTC, RFC 3339.
fn format(utc_ms: i64, offset_s: i64, with_offset: bool) -> String {
    let local = utc_ms + offset_s * 1000;
    let (days, ms) = (local.div_euclid(86_400_000), local.rem_euclid(86_400_000));
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let mut out = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}");
    if with_offset {
        if offset_s == 0 {
            out.push('Z');
        } else {
            let sign = if offset_s < 0 { '-' } else { '+' };
            let a = offset_s.abs();
            out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60));
            if a % 60 != 0 {
                out.push_str(&format!(":{:02}", a % 60));
            }
        }
    }
    out
}

// 0001-01-02 .. 9999-12-30, so that every offset keeps the local date inside 0000..=9999.
const MIN_MS: i64 = -62_135_510_400_000;
const MAX_MS: i64 = 253_402_128_000_000;

proptest! {
    #[test]
    fn rfc_3339_round_trips(utc_ms in MIN_MS..MAX_MS, offset_s in -86_399i64..=86_399) {
        let text = format(utc_ms, offset_s, true);
        prop_assert_eq!(parse_date_time(&text), Ok(DateTimeBound::Instant { utc_ms }), "{}", text);
    }

    #[test]
    fn offset_less_times_are_wall_clock(utc_ms in MIN_MS..MAX_MS) {
        let text = format(utc_ms, 0, false);
        prop_assert_eq!(parse_date_time(&text), Ok(DateTimeBound::Local { wall_ms: utc_ms }));
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = parse_date_time(&s);
    }

    #[test]
    fn redemption_values_are_1_to_256_printable_ascii(s in prop_oneof![
        "[ -~]{0,300}",
        "\\PC{0,20}",
        "[ -~]{0,10}[\\x00-\\x1f\\x7f][ -~]{0,10}",
    ]) {
        let printable = !s.is_empty() && s.len() <= 256 && s.bytes().all(|b| (0x20..=0x7e).contains(&b));
        prop_assert_eq!(RedemptionValue::new(Zeroizing::new(s.clone())).is_ok(), printable);
        let doc = serde_json::json!({"loyaltyObjects": [
            {"id": "1.o", "classId": "1.c", "smartTapRedemptionValue": s}
        ]});
        let imported = import_json(&doc.to_string());
        prop_assert_eq!(imported.is_ok(), printable);
        if let Ok(batch) = imported {
            let v = batch.objects[0].smart_tap_redemption_value.as_ref().unwrap().expose();
            prop_assert_eq!(v.as_str(), s.as_str());
        }
    }

    #[test]
    fn an_issuers_object_comes_back_field_for_field(
        suffix in "[A-Za-z0-9._-]{1,40}",
        issuer in 1u64..=u64::MAX,
        redeemers in prop::collection::vec(1u64..=u64::MAX, 0..5),
        as_numbers in any::<bool>(),
        state in prop::sample::select(vec![
            ("ACTIVE", PassState::Active), ("active", PassState::Active),
            ("COMPLETED", PassState::Completed), ("expired", PassState::Expired),
            ("INACTIVE", PassState::Inactive),
        ]),
        points in any::<i64>(),
        value in "[!-~]{1,64}",
        account in "\\PC{0,60}",
    ) {
        let class_id = format!("{issuer}.{suffix}");
        let ri: Vec<serde_json::Value> = redeemers.iter().map(|r| {
            if as_numbers { serde_json::Value::from(*r) } else { serde_json::Value::from(r.to_string()) }
        }).collect();
        let doc = serde_json::json!({
            "loyaltyClasses": [{"id": class_id, "enableSmartTap": true, "redemptionIssuers": ri}],
            "loyaltyObjects": [{
                "id": format!("{issuer}.{suffix}-obj"), "classId": class_id, "state": state.0,
                "loyaltyPoints": {"balance": {"int": points.to_string()}},
                "smartTapRedemptionValue": value, "accountName": account,
            }],
        });
        let batch = import_json(&doc.to_string()).unwrap();
        let c = &batch.classes[0];
        prop_assert_eq!(c.issuer_id, issuer);
        let mut want = redeemers.clone();
        want.sort_unstable();
        want.dedup();
        prop_assert_eq!(&c.redemption_issuers, &want);
        let o = &batch.objects[0];
        prop_assert_eq!(o.state, state.1);
        prop_assert_eq!(
            o.balance.as_ref().map(|b| b.value.clone()),
            Some(hce_wallet_core::pass::BalanceValue::Int(points))
        );
        prop_assert_eq!(o.smart_tap_redemption_value.as_ref().unwrap().expose().as_str(), value.as_str());
        prop_assert_eq!(o.display.subtitle.as_deref(), Some(account.as_str()));
    }
}
