//! Every APDU and payload in the Smart Tap vector files decodes with the core codecs and
//! re-encodes byte-exact, and the decode trees written in the JSON files agree with ours.
//!
//! The test walks each file as a whole: every `*_hex` field is either checked here or
//! named in [`NOT_CODEC_DATA`] (keys, nonces, MACs...), so a field added to the files later
//! fails the test until someone decides what it is. Covered: `kormax-trace.json`,
//! `e2e-loyalty-2018.json` (issue #3 acceptance), plus `negative.json` and the `.apdu`
//! script.

use std::path::PathBuf;

use hce_wallet_core::apdu::{Command, Response};
use hce_wallet_core::ber_tlv::{self, Tlv};
use hce_wallet_core::ndef::{Message, Record, Tnf};
use serde_json::{Map, Value as Json};

/// `*_hex` fields that are cryptographic material or layout values, not codec input.
const NOT_CODEC_DATA: &[&str] = &[
    "aes_128_key_hex",
    "aes_ctr_initial_counter_block_hex",
    "ciphertext_hex",
    "collector_id_hex",
    "data_to_sign_hex",
    "der_signature_hex",
    "ecdh_shared_secret_x_hex",
    "ephemeral_private_key_hex",
    "ephemeral_public_key_compressed_hex",
    "ephemeral_public_key_uncompressed_hex",
    "expected_response_data_hex",
    "hkdf_info_hex",
    "hmac_hex",
    "hmac_input_hex",
    "hmac_sha256_key_hex",
    "ikm_hex",
    "info_hex",
    "iv_hex",
    "key_version_hex",
    "long_term_private_key_hex",
    "long_term_public_key_sec1_compressed_hex",
    "long_term_public_key_sec1_uncompressed_hex",
    "nonce_hex",
    "nonce_the_terminal_signed_hex",
    "object_id_record_value_hex",
    "okm_hex",
    "r_hex",
    "s_hex",
    "salt_hex",
    "same_signature_with_s_negated_der_hex",
    "session_id_hex",
    "signed_bytes_hex",
    "unrelated_key_version_2_private_hex",
    "zlib_hex",
    // Checked inside the decode trees they belong to.
    "payload_hex",
    "value_hex",
    "min_version_hex",
    "max_version_hex",
];

fn vector_path(name: &str) -> PathBuf {
    let shared = std::env::var_os("HCE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    shared.join("vectors/smart-tap").join(name)
}

fn load(name: &str) -> Json {
    let path = vector_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

fn str_at<'a>(obj: &'a Map<String, Json>, key: &str, path: &str) -> &'a str {
    obj.get(key).and_then(Json::as_str).unwrap_or_else(|| panic!("{path}: no string {key}"))
}

/// What one file's walk checked.
#[derive(Default, Debug)]
struct Stats {
    command_apdus: usize,
    response_apdus: usize,
    tlv_payloads: usize,
    ndef_messages: usize,
    records_compared: usize,
    record_payloads: Vec<Vec<u8>>,
}

/// Walks the JSON tree; checks every hex field it meets.
fn walk(value: &Json, path: &str, stats: &mut Stats) {
    match value {
        Json::Object(obj) => {
            check_object(obj, path, stats);
            for (k, v) in obj {
                walk(v, &format!("{path}.{k}"), stats);
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), stats);
            }
        }
        _ => {}
    }
}

fn check_object(obj: &Map<String, Json>, path: &str, stats: &mut Stats) {
    for key in obj.keys().filter(|k| k.ends_with("_hex")) {
        let handled = matches!(
            key.as_str(),
            "apdu_hex"
                | "command_hex"
                | "response_apdu_hex"
                | "data_hex"
                | "response_data_hex"
                | "ndef_hex"
                | "body_before_encryption_hex"
                | "reb_payload_hex"
                | "sig_record_payload_hex"
        );
        assert!(
            handled || NOT_CODEC_DATA.contains(&key.as_str()),
            "{path}.{key}: unclassified hex field"
        );
    }
    for key in ["apdu_hex", "command_hex"] {
        if let Some(hex) = obj.get(key).and_then(Json::as_str) {
            check_command(obj, &unhex(hex), &format!("{path}.{key}"), stats);
        }
    }
    if let Some(hex) = obj.get("response_apdu_hex").and_then(Json::as_str) {
        let bytes = unhex(hex);
        let r = Response::parse(&bytes).unwrap_or_else(|| panic!("{path}: R-APDU too short"));
        assert_eq!(r.to_bytes(), bytes, "{path}: R-APDU re-encoding");
        assert_eq!(hex::encode(r.sw.to_bytes()), str_at(obj, "response_sw", path), "{path}: SW");
        assert_eq!(hex::encode(&r.data), str_at(obj, "response_data_hex", path), "{path}: data");
        stats.response_apdus += 1;
    }
    for key in ["data_hex", "response_data_hex"] {
        if let Some(hex) = obj.get(key).and_then(Json::as_str) {
            check_payload(obj, &unhex(hex), &format!("{path}.{key}"), stats);
        }
    }
    if let Some(hex) = obj.get("ndef_hex").and_then(Json::as_str) {
        let tree = obj.get("decoded").unwrap_or_else(|| panic!("{path}: ndef_hex without decode"));
        check_ndef(&unhex(hex), Some(tree), path, stats);
    }
    if let Some(hex) = obj.get("body_before_encryption_hex").and_then(Json::as_str) {
        // Flags bit 0x02: the body is a zlib stream, not a codec payload.
        let flags = obj.get("reb_flags").and_then(Json::as_u64).unwrap();
        if flags & 0x02 == 0 {
            check_ndef(&unhex(hex), None, path, stats);
        }
    }
}

fn check_command(obj: &Map<String, Json>, bytes: &[u8], path: &str, stats: &mut Stats) {
    let cmd = Command::parse(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(cmd.encode().unwrap(), bytes, "{path}: C-APDU re-encoding");
    stats.command_apdus += 1;
    if let Some(data) = obj.get("data_hex").and_then(Json::as_str) {
        assert_eq!(hex::encode(cmd.data), data, "{path}: data_hex is the command's data");
    }
    if cmd.is_select_by_name() || cmd.data.is_empty() {
        return;
    }
    // Smart Tap commands carry exactly one NDEF message. When the same object also has
    // `data_hex`, that payload is checked (with its tree) by `check_payload`.
    if !obj.contains_key("data_hex") {
        check_ndef(cmd.data, obj.get("command_data_decoded"), path, stats);
    }
}

/// A data field: decoded according to the decode tree the file puts next to it.
fn check_payload(obj: &Map<String, Json>, bytes: &[u8], path: &str, stats: &mut Stats) {
    if let Some(tree) = obj.get("tlv") {
        check_tlv_tree(bytes, tree, path, stats);
    } else if let Some(lines) = obj.get("response_tlv") {
        check_tlv_lines(bytes, lines, path, stats);
    } else if let Some(layout) = obj.get("layout").and_then(Json::as_object) {
        let (versions, ndef) = bytes.split_at(4);
        let min = str_at(layout, "min_version_hex", path);
        let max = str_at(layout, "max_version_hex", path);
        assert_eq!(hex::encode(versions), format!("{min}{max}"), "{path}: versions");
        check_ndef(ndef, layout.get("ndef"), path, stats);
    } else if obj.contains_key("response_layout") {
        let (_versions, ndef) = bytes.split_at(4);
        check_ndef(ndef, obj.get("response_ndef_decoded"), path, stats);
    } else if let Some(tree) = obj.get("ndef").or_else(|| obj.get("response_decoded")) {
        check_ndef(bytes, Some(tree), path, stats);
    } else {
        panic!("{path}: payload without a decode tree");
    }
}

/// BER-TLV against `{tag, length, value_hex | children}` trees (kormax-trace.json).
fn check_tlv_tree(bytes: &[u8], tree: &Json, path: &str, stats: &mut Stats) {
    let objects = ber_tlv::parse_all(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(ber_tlv::encode_all(&objects), bytes, "{path}: TLV re-encoding");
    compare_tlvs(&objects, tree, path);
    stats.tlv_payloads += 1;
}

fn compare_tlvs(objects: &[Tlv], tree: &Json, path: &str) {
    let nodes = tree.as_array().unwrap();
    assert_eq!(objects.len(), nodes.len(), "{path}: number of TLV objects");
    for (i, (tlv, node)) in objects.iter().zip(nodes).enumerate() {
        let path = format!("{path}[{i}]");
        let node = node.as_object().unwrap();
        assert_eq!(tlv.tag().to_string(), str_at(node, "tag", &path), "{path}: tag");
        let len = node.get("length").and_then(Json::as_u64).unwrap();
        assert_eq!(tlv.content_len(), Some(len as usize), "{path}: length");
        match (tlv.bytes(), node.get("value_hex"), node.get("children")) {
            (Some(v), Some(hex), None) => {
                assert_eq!(hex::encode(v), hex.as_str().unwrap(), "{path}: value")
            }
            (None, None, Some(children)) => compare_tlvs(tlv.children(), children, &path),
            _ => panic!("{path}: primitive/constructed disagree with the tree"),
        }
    }
}

/// BER-TLV against the indented one-line-per-object listing of e2e-loyalty-2018.json
/// (`"  C0 02  0001 (…)"`: two spaces per level, tag, length for primitives).
fn check_tlv_lines(bytes: &[u8], lines: &Json, path: &str, stats: &mut Stats) {
    let objects = ber_tlv::parse_all(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(ber_tlv::encode_all(&objects), bytes, "{path}: TLV re-encoding");
    let mut ours = Vec::new();
    fn flatten(objects: &[Tlv], depth: usize, out: &mut Vec<(usize, Tlv)>) {
        for o in objects {
            out.push((depth, o.clone()));
            flatten(o.children(), depth + 1, out);
        }
    }
    flatten(&objects, 0, &mut ours);
    let lines = lines.as_array().unwrap();
    assert_eq!(ours.len(), lines.len(), "{path}: number of TLV objects");
    for (i, ((depth, tlv), line)) in ours.iter().zip(lines).enumerate() {
        let line = line.as_str().unwrap();
        let indent = line.len() - line.trim_start().len();
        let head = line.trim_start().split("  ").next().unwrap();
        let mut words = head.split_whitespace();
        assert_eq!(indent / 2, *depth, "{path}[{i}]: nesting of {line:?}");
        assert_eq!(words.next(), Some(tlv.tag().to_string().as_str()), "{path}[{i}]: tag");
        if let Some(len) = words.next() {
            let len = usize::from_str_radix(len, 16).unwrap();
            assert_eq!(tlv.content_len(), Some(len), "{path}[{i}]: length");
        }
    }
    stats.tlv_payloads += 1;
}

/// An NDEF message: strict parse, byte-exact re-encoding, and the file's tree if any.
fn check_ndef(bytes: &[u8], tree: Option<&Json>, path: &str, stats: &mut Stats) {
    let message = Message::parse(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(message.encode(), bytes, "{path}: NDEF re-encoding");
    stats.ndef_messages += 1;
    collect_payloads(&message, 0, stats);
    if let Some(tree) = tree {
        compare_records(&message, bytes, tree, 0, path, stats);
    }
}

/// Every record payload at any depth (container payloads parsed where they parse).
fn collect_payloads(message: &Message, depth: usize, stats: &mut Stats) {
    for r in &message.records {
        stats.record_payloads.push(r.payload.clone());
        for offset in [0, 1, 2, 70] {
            if let Ok(inner) = r.nested(offset, depth) {
                collect_payloads(&inner, depth + 1, stats);
            }
        }
    }
}

fn compare_records(
    message: &Message,
    bytes: &[u8],
    tree: &Json,
    depth: usize,
    path: &str,
    stats: &mut Stats,
) {
    let nodes = tree.as_array().unwrap_or_else(|| panic!("{path}: records are not a list"));
    assert_eq!(message.records.len(), nodes.len(), "{path}: number of records");
    for (i, (record, node)) in message.records.iter().zip(nodes).enumerate() {
        let path = format!("{path}[{i}]");
        let node = node.as_object().unwrap();
        // The header byte as it appears on the wire, at this record's offset.
        let offset = Message::new(message.records[..i].to_vec()).encode().len();
        assert_eq!(format!("{:02x}", bytes[offset]), str_at(node, "header", &path), "{path}");
        let tnf = str_at(node, "tnf", &path);
        let tnf_code = tnf.rsplit('(').next().unwrap().trim_end_matches(')');
        assert_eq!(tnf_code, (record.tnf as u8).to_string(), "{path}: TNF");
        assert_eq!(record.record_type, str_at(node, "type", &path).as_bytes(), "{path}: type");
        assert_eq!(record.id, str_at(node, "id", &path).as_bytes(), "{path}: id");
        let len = node.get("payload_length").and_then(Json::as_u64).unwrap() as usize;
        assert_eq!(record.payload.len(), len, "{path}: payload length");
        assert_eq!(hex::encode(&record.payload), str_at(node, "payload_hex", &path), "{path}");
        stats.records_compared += 1;
        if let Some(decoded) = node.get("decoded").and_then(Json::as_object) {
            compare_decoded(record, decoded, depth, &path, stats);
        }
    }
}

/// The field split of a known payload (ses, cpr, reb, format byte, RTD text/URI…) and
/// nested records of containers.
fn compare_decoded(
    record: &Record,
    decoded: &Map<String, Json>,
    depth: usize,
    path: &str,
    stats: &mut Stats,
) {
    let p = &record.payload;
    let num = |key: &str| decoded.get(key).and_then(Json::as_u64).map(|n| n as usize);
    let hex_field = |key: &str| decoded.get(key).and_then(Json::as_str);
    let mut nested_at = 0;
    for key in decoded.keys() {
        match key.as_str() {
            "version" => {
                assert_eq!(hex::encode(&p[..2]), hex_field("version").unwrap(), "{path}");
                nested_at = 2;
            }
            "push_service_type" | "usage_status" | "operation" | "flags" | "format" => {
                assert_eq!(usize::from(p[0]), num(key).unwrap(), "{path}: {key}");
                nested_at = 1;
            }
            "session_id" => {
                assert_eq!(p.len(), 10, "{path}: ses payload length");
                assert_eq!(hex::encode(&p[..8]), hex_field(key).unwrap(), "{path}: {key}");
            }
            "sequence_number" => assert_eq!(usize::from(p[8]), num(key).unwrap(), "{path}"),
            "status" => assert_eq!(usize::from(p[9]), num(key).unwrap(), "{path}"),
            "terminal_nonce" => {
                assert_eq!(hex::encode(&p[..32]), hex_field(key).unwrap(), "{path}: {key}");
                nested_at = 70;
            }
            "auth_byte" => assert_eq!(usize::from(p[32]), num(key).unwrap(), "{path}"),
            "terminal_ephemeral_public_key" => {
                assert_eq!(hex::encode(&p[33..66]), hex_field(key).unwrap(), "{path}: {key}")
            }
            "key_version" => assert_eq!(hex::encode(&p[66..70]), hex_field(key).unwrap()),
            "iv" => assert_eq!(hex::encode(&p[1..13]), hex_field(key).unwrap(), "{path}: iv"),
            "ciphertext" => {
                let ct = &p[13..p.len() - 32];
                assert_eq!(hex::encode(ct), hex_field(key).unwrap(), "{path}: ciphertext");
            }
            "hmac" => {
                let mac = &p[p.len() - 32..];
                assert_eq!(hex::encode(mac), hex_field(key).unwrap(), "{path}: hmac");
            }
            "value" => {
                let value = hex_field(key).unwrap();
                assert_eq!(hex::encode(&p[1..]), value, "{path}: value after the first byte");
            }
            "raw" => assert_eq!(hex::encode(p), hex_field(key).unwrap(), "{path}: raw"),
            "text_status" => {
                assert_eq!(record.tnf, Tnf::WellKnown, "{path}");
                assert_eq!(record.record_type, b"T", "{path}");
                assert_eq!(usize::from(p[0]), num(key).unwrap(), "{path}: status byte");
                // The files clip the language to the payload (the `ccd` record of the
                // PUSH example is not well-formed RTD Text, see its note).
                let lang_len = usize::from(p[0] & 0x3F).min(p.len() - 1);
                let lang = std::str::from_utf8(&p[1..1 + lang_len]).unwrap();
                assert_eq!(lang, hex_field("language").unwrap(), "{path}: language");
                let text = std::str::from_utf8(&p[1 + lang_len..]).unwrap();
                assert_eq!(text, hex_field("text").unwrap(), "{path}: text");
            }
            "language" | "text" => assert!(decoded.contains_key("text_status"), "{path}"),
            "uri_prefix_code" => {
                assert_eq!(record.record_type, b"U", "{path}");
                assert_eq!(usize::from(p[0]), num(key).unwrap(), "{path}: URI prefix");
                let rest = std::str::from_utf8(&p[1..]).unwrap();
                assert_eq!(rest, hex_field("rest").unwrap(), "{path}: URI");
            }
            "rest" => assert!(decoded.contains_key("uri_prefix_code"), "{path}"),
            "records" => {}
            other => panic!("{path}: decoded field {other:?} not checked"),
        }
    }
    if let Some(children) = decoded.get("records") {
        let inner = record.nested(nested_at, depth).unwrap_or_else(|e| panic!("{path}: {e}"));
        let inner_bytes = &p[nested_at..];
        assert_eq!(inner.encode(), inner_bytes, "{path}: nested re-encoding");
        stats.ndef_messages += 1;
        compare_records(&inner, inner_bytes, children, depth + 1, &format!("{path}>"), stats);
    }
}

/// Walks one file and checks that every record node of its decode trees was compared.
fn run_file(name: &str) -> Stats {
    let json = load(name);
    let mut stats = Stats::default();
    walk(&json, name, &mut stats);
    assert_eq!(stats.records_compared, record_nodes(&json), "{name}: record nodes compared");
    stats
}

/// Objects of the decode trees that describe an NDEF record.
fn record_nodes(json: &Json) -> usize {
    match json {
        Json::Object(obj) => {
            let own = usize::from(obj.contains_key("header") && obj.contains_key("payload_hex"));
            own + obj.values().map(record_nodes).sum::<usize>()
        }
        Json::Array(items) => items.iter().map(record_nodes).sum(),
        _ => 0,
    }
}

#[test]
fn kormax_trace_round_trips() {
    let stats = run_file("kormax-trace.json");
    let examples = load("kormax-trace.json")["examples"].as_array().unwrap().len();
    eprintln!("kormax-trace.json ({examples} examples): {stats:?}", stats = Summary(&stats));
    // SELECT OSE, SELECT ST2, NEGOTIATE, GET DATA, GET MORE, PUSH.
    assert_eq!(stats.command_apdus, 6);
    assert_eq!(stats.tlv_payloads, 1);
    // 6 data payloads with NDEF (incl. the ST2 layout) plus the nested containers.
    assert!(stats.ndef_messages >= 6 + 10, "{}", stats.ndef_messages);
}

#[test]
fn e2e_loyalty_round_trips() {
    let stats = run_file("e2e-loyalty-2018.json");
    eprintln!("e2e-loyalty-2018.json: {:?}", Summary(&stats));
    // 3 steps + 2 GET DATA variants, each a command and a response.
    assert_eq!(stats.command_apdus, 5);
    assert_eq!(stats.response_apdus, 5);
    assert_eq!(stats.tlv_payloads, 1);
    let json = load("e2e-loyalty-2018.json");
    // Record payloads quoted on their own appear inside the parsed messages.
    let sig = unhex(json["signature"]["sig_record_payload_hex"].as_str().unwrap());
    assert!(stats.record_payloads.contains(&sig), "sig record payload not found");
    for variant in json["get_data"]["variants"].as_array().unwrap() {
        let reb = unhex(variant["reb_payload_hex"].as_str().unwrap());
        assert!(stats.record_payloads.contains(&reb), "reb payload not found");
    }
}

#[test]
fn negative_vectors_are_well_formed_apdus() {
    let stats = run_file("negative.json");
    eprintln!("negative.json: {:?}", Summary(&stats));
    let json = load("negative.json");
    let expected =
        json["negotiate"].as_array().unwrap().len() + json["get_data"].as_array().unwrap().len();
    assert_eq!(stats.command_apdus, expected);
}

#[test]
fn apdu_script_round_trips() {
    let path = vector_path("e2e-loyalty-2018.apdu");
    let script = std::fs::read_to_string(path).unwrap();
    let (mut commands, mut responses) = (0, 0);
    for line in script.lines().map(str::trim) {
        if let Some(hex) = line.strip_prefix('>') {
            let bytes = unhex(hex.trim());
            assert_eq!(Command::parse(&bytes).unwrap().encode().unwrap(), bytes, "{line}");
            commands += 1;
        } else if let Some(hex) = line.strip_prefix('<') {
            let bytes = unhex(hex.trim());
            let response = Response::parse(&bytes).unwrap();
            assert_eq!(response.to_bytes(), bytes);
            if !response.data.is_empty() && response.data[0] != 0x6F {
                // Smart Tap answers: NDEF, after the 4 version bytes for SELECT ST2.
                let ndef = if response.data[0] == 0 { &response.data[4..] } else { &response.data };
                assert_eq!(Message::parse(ndef).unwrap().encode(), ndef);
            } else if !response.data.is_empty() {
                let fci = Tlv::parse(&response.data).unwrap();
                assert_eq!(fci.encode(), response.data);
            }
            responses += 1;
        }
    }
    assert_eq!((commands, responses), (4, 4));
}

struct Summary<'a>(&'a Stats);
impl std::fmt::Debug for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        write!(
            f,
            "{} C-APDUs, {} R-APDUs, {} TLV payloads, {} NDEF messages, {} records compared",
            s.command_apdus, s.response_apdus, s.tlv_payloads, s.ndef_messages, s.records_compared
        )
    }
}
