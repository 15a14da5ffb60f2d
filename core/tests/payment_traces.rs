//! `shared/vectors/payment/real-card-traces.json`: every observed answer through the
//! core's BER-TLV codec (tree as decoded in the file, byte-exact re-encoding), the devnied
//! log records rejected as TLV and read by their `9F4F` log format instead, and each
//! trace's commands replayed as a reader script against the payment applet.

mod payment_support;

use hce_wallet_core::apdu::Command;
use hce_wallet_core::ber_tlv::{self, Tag, Tlv};
use hce_wallet_core::payment::applet::PaymentConfig;
use hce_wallet_core::payment::dol::Dol;
use hce_wallet_core::payment::profile::ProfileSettings;
use hce_wallet_core::payment::token::{CvmPolicy, TokenState};
use payment_support::*;
use serde_json::Value;

fn traces() -> Vec<Value> {
    let v = load_json("real-card-traces.json");
    let t = v["traces"].as_array().unwrap().clone();
    assert_eq!(t.len(), 6);
    t
}

fn compare(node: &Value, tlv: &Tlv, path: &str) {
    let tag = node["tag"].as_str().unwrap();
    assert_eq!(tlv.tag().to_string(), tag, "{path}");
    let path = format!("{path}/{tag}");
    assert_eq!(
        tlv.content_len().unwrap() as u64,
        node["length"].as_u64().unwrap(),
        "{path} length"
    );
    match (node.get("children"), node.get("value")) {
        (Some(children), _) => {
            let children = children.as_array().unwrap();
            assert_eq!(tlv.children().len(), children.len(), "{path} children");
            for (c, t) in children.iter().zip(tlv.children()) {
                compare(c, t, &path);
            }
        }
        (None, Some(value)) => {
            assert_eq!(
                hex::encode_upper(tlv.bytes().unwrap()),
                value.as_str().unwrap(),
                "{path} value"
            );
        }
        (None, None) => panic!("{path}: neither value nor children"),
    }
}

#[test]
fn every_answer_parses_and_reencodes_byte_exact() {
    let (mut parsed, mut rejected) = (0, 0);
    for trace in traces() {
        let id = trace["id"].as_str().unwrap().to_owned();
        let mut log_format: Option<Dol> = None;
        for ex in trace["exchanges"].as_array().unwrap() {
            let response = &ex["response"];
            let Some(data) = response.get("data").and_then(Value::as_str) else { continue };
            let data = h(data);
            let rapdu = h(ex["r_apdu"].as_str().unwrap());
            assert_eq!(&rapdu[..rapdu.len() - 2], data.as_slice(), "{id}: r_apdu = data ‖ SW");
            match response.get("tlv").filter(|t| !t.is_null()) {
                Some(tree) => {
                    let objects = ber_tlv::parse_all(&data)
                        .unwrap_or_else(|e| panic!("{id} step {}: {e}", ex["step"]));
                    let tree = tree.as_array().unwrap();
                    assert_eq!(objects.len(), tree.len(), "{id}: top-level objects");
                    for (node, tlv) in tree.iter().zip(&objects) {
                        compare(node, tlv, &id);
                    }
                    assert_eq!(ber_tlv::encode_all(&objects), data, "{id}: byte-exact re-encoding");
                    assert_eq!(response["reencodes_byte_exact"], true);
                    // GET DATA 9F4F: the log format, a DOL.
                    if let Some(f) = objects[0].find_recursive(Tag::new(0x9F4F).unwrap()) {
                        log_format = Some(Dol::parse(f.bytes().unwrap()).unwrap());
                    }
                    parsed += 1;
                }
                None => {
                    // The devnied log records: not BER-TLV; read by the log format.
                    assert!(response["not_tlv"].is_string(), "{id}: untagged non-TLV answer");
                    assert!(ber_tlv::parse_all(&data).is_err(), "{id}: log record accepted as TLV");
                    let format = log_format.as_ref().expect("9F4F read before the records");
                    let values = format.split(&data).unwrap();
                    for item in response["log_record"].as_array().unwrap() {
                        let tag = Tag::new(
                            u32::from_str_radix(item["tag"].as_str().unwrap(), 16).unwrap(),
                        )
                        .unwrap();
                        assert_eq!(
                            hex::encode_upper(values.get(tag).unwrap()),
                            item["value"].as_str().unwrap()
                        );
                    }
                    rejected += 1;
                }
            }
        }
    }
    assert!(parsed >= 50, "{parsed} answers parsed");
    assert_eq!(rejected, 16, "the devnied log records");
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sel {
    Nothing,
    Ppse,
    Pse,
    Adf { gpo: bool },
}

/// What this applet must answer to `apdu` in state `sel` (the rules of the applet's module
/// doc, written out independently), and the next state.
fn expected(apdu: &[u8], sel: Sel, aid: &[u8], config: &PaymentConfig) -> (u16, Sel) {
    let Ok(c) = Command::parse(apdu) else { return (0x6700, sel) };
    let ppse = b"2PAY.SYS.DDF01".as_slice();
    let pse = b"1PAY.SYS.DDF01".as_slice();
    match (c.cla, c.ins) {
        (0x00, 0xA4) if c.p1 == 0x04 => {
            if c.data == ppse {
                (0x9000, Sel::Ppse)
            } else if c.data == pse && config.contact_pse {
                (0x9000, Sel::Pse)
            } else if c.data == aid {
                (0x9000, Sel::Adf { gpo: false })
            } else {
                (0x6A82, sel)
            }
        }
        (0x80, 0xA8) => match sel {
            Sel::Adf { gpo: false } => {
                let total = config.profile.pdol.total_len();
                let exact = c.data.len() == 2 + total && c.data[0] == 0x83;
                let lenient = c.data == [0x83, 0x00] && config.lenient_empty_pdol;
                let sw = if exact || lenient {
                    0x9000
                } else if c.data.first() == Some(&0x83) {
                    0x6700
                } else {
                    0x6A80
                };
                (sw, Sel::Adf { gpo: sw == 0x9000 })
            }
            _ => (0x6985, sel),
        },
        (0x00, 0xB2) => {
            let (rec, sfi) = (c.p1, c.p2 >> 3);
            let sw = match sel {
                Sel::Nothing => 0x6985,
                _ if (rec, sfi) == (1, 1) && matches!(sel, Sel::Adf { .. } | Sel::Pse) => 0x9000,
                _ => 0x6A83,
            };
            (sw, sel)
        }
        (0x80, 0xCA) => {
            let sw = if matches!(sel, Sel::Adf { .. }) && (c.p1, c.p2) == (0x9F, 0x36) {
                0x9000
            } else {
                0x6A88
            };
            (sw, sel)
        }
        (0x80, 0xAE) => {
            let sw = match sel {
                _ if !config.profile.offer_generate_ac => 0x6D00,
                Sel::Adf { gpo: true } if c.data.len() == 29 => 0x9000,
                Sel::Adf { gpo: true } => 0x6700,
                _ => 0x6985,
            };
            (sw, sel)
        }
        (0x00 | 0x80, _) => (0x6D00, sel),
        _ => (0x6E00, sel),
    }
}

fn first_aid(trace: &Value) -> Vec<u8> {
    for ex in trace["exchanges"].as_array().unwrap() {
        let apdu = h(ex["c_apdu"].as_str().unwrap());
        if let Ok(c) = Command::parse(&apdu) {
            if c.is_select_by_name() && !c.data.ends_with(b"PAY.SYS.DDF01") {
                return c.data.to_vec();
            }
        }
    }
    panic!("no AID in {}", trace["id"]);
}

#[test]
fn trace_commands_as_reader_scripts() {
    let strict = PaymentConfig::default();
    let desktop = PaymentConfig {
        lenient_empty_pdol: true,
        contact_pse: true,
        profile: ProfileSettings { offer_generate_ac: true, ..Default::default() },
        ..Default::default()
    };
    let mut nine_thousands = 0;
    for trace in traces() {
        let id = trace["id"].as_str().unwrap().to_owned();
        let aid = first_aid(&trace);
        for config in [&strict, &desktop] {
            let tokens = TestTokens::default();
            let mut t = token("tok-1", MPAN, CvmPolicy::WhenReaderRequires);
            t.profile.aid = aid.clone();
            tokens.add(t, TokenState::Active, true, luk(&h(LUK_HEX), [0, 0, 0, 1]));
            tokens.verify_until(Some(now().plus_millis(60_000)));
            let mut rig = Rig::new(config.clone(), tokens);
            let mut sel = Sel::Nothing;
            for ex in trace["exchanges"].as_array().unwrap() {
                let apdu = h(ex["c_apdu"].as_str().unwrap());
                let (want, next) = expected(&apdu, sel, &aid, config);
                let (_, got) = rig.send(&apdu);
                assert_eq!(
                    format!("{got:04X}"),
                    format!("{want:04X}"),
                    "{id} step {} ({}), lenient={}",
                    ex["step"],
                    ex["command"]["command"],
                    config.lenient_empty_pdol
                );
                if got == 0x9000 {
                    nine_thousands += 1;
                }
                sel = next;
            }
            // Every reader that got this far could pay: GPO answered in the desktop setup.
            if config.lenient_empty_pdol {
                assert!(rig.journal.last("tok-1") >= 1, "{id}: a transaction in the desktop setup");
            }
        }
    }
    assert!(nine_thousands >= 30);
}
