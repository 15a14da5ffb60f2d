//! Annotated reading of APDUs, BER-TLV and NDEF, the way a person reads a trace: command
//! names, status-word meanings (smart-tap spec §8), FCI tag names (§6.1), NDEF headers and
//! flags, nested messages indented, Smart Tap record names (§7) and the fields of known
//! payloads (`ses` §5, `cpr` §6.3, `reb` §6.4, format-prefixed values §4.3, RTD Text and
//! URI, `pcr` §9, `str` §10).
//!
//! Nothing here panics on input: what does not decode is shown as hex with the codec's
//! error. Used by `hcectl decode` and by transcripts (`hcectl run`, `hcectl tap`):
//! [`describe_command`] and [`describe_response`].

use std::fmt::Write as _;

use hce_wallet_core::apdu::{Command, Response, StatusWord};
use hce_wallet_core::ber_tlv::{self, Class, Tlv};
use hce_wallet_core::ndef::{self, Message, Record, Tnf};

/// How to read the input of [`decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Kind {
    /// Guess: NDEF, C-APDU, Smart Tap 2 SELECT answer, R-APDU, BER-TLV, in that order.
    #[default]
    Auto,
    Command,
    Response,
    Tlv,
    Ndef,
    /// The Smart Tap 2 SELECT answer data: two versions, then an NDEF message (§6.2).
    SmartTapSelect,
}

/// Known AIDs (smart-tap spec §3, payment spec §6.1).
const AIDS: &[(&[u8], &str)] = &[
    (b"OSE.VAS.01", "OSE.VAS.01 (Smart Tap / VAS directory)"),
    (&[0xA0, 0x00, 0x00, 0x04, 0x76, 0xD0, 0x00, 0x01, 0x11], "Smart Tap 2"),
    (&[0xA0, 0x00, 0x00, 0x04, 0x76, 0xD0, 0x00, 0x01, 0x01], "Smart Tap 1 (deprecated)"),
    (b"2PAY.SYS.DDF01", "PPSE (contactless payment directory)"),
    (b"1PAY.SYS.DDF01", "PSE (contact payment directory)"),
    (&[0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10], "Visa credit/debit"),
    (&[0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10], "Mastercard credit/debit"),
];

/// Reads `bytes` as `kind` and returns the annotated text (one item per line).
pub fn decode(bytes: &[u8], kind: Kind) -> String {
    let mut out = Out::default();
    match kind {
        Kind::Auto => auto(&mut out, bytes),
        Kind::Command => command(&mut out, bytes, 0),
        Kind::Response => response(&mut out, bytes, None, 0),
        Kind::Tlv => tlv_payload(&mut out, bytes, 0),
        Kind::Ndef => ndef_payload(&mut out, bytes, 0, 0),
        Kind::SmartTapSelect => smart_tap_select(&mut out, bytes, 0),
    }
    out.text
}

/// The annotated reading of a C-APDU.
pub fn describe_command(apdu: &[u8]) -> String {
    let mut out = Out::default();
    command(&mut out, apdu, 0);
    out.text
}

/// The annotated reading of an R-APDU; `request` (the C-APDU it answers) tells how to
/// read its data (FCI after SELECT OSE, versions + NDEF after SELECT Smart Tap 2).
pub fn describe_response(rapdu: &[u8], request: Option<&[u8]>) -> String {
    let mut out = Out::default();
    response(&mut out, rapdu, request, 0);
    out.text
}

/// What a status word means (ISO/IEC 7816-4 §5.6, smart-tap spec §8).
pub fn status_meaning(sw: StatusWord) -> String {
    let text = match sw.0 {
        0x9000 => "success",
        0x9001 => "success, no passes (Smart Tap)",
        0x9002 => "success, pre-signed authentication (Smart Tap)",
        0x9100 => "more data available: send GET MORE DATA (Smart Tap)",
        0x9101 => "success with pass, payment not ready (Smart Tap)",
        0x9102 => "success, no pass, payment not ready (Smart Tap)",
        0x9200 => "transient failure, unknown error: retry (Smart Tap)",
        0x9201 => "transient failure: crypto failure (Smart Tap)",
        0x9203 => "transient failure: execution failure (Smart Tap)",
        0x9300 => "user action needed: unlock the device (Smart Tap)",
        0x9302 => "user action needed: choose a pass and tap again (Smart Tap)",
        0x9400 => "terminal error: unknown command for this state (Smart Tap)",
        0x9402 => "terminal error: parsing failure (Smart Tap)",
        0x9403 => "terminal error: invalid crypto input (Smart Tap)",
        0x9404 => "terminal error: GET MORE DATA with nothing pending (Smart Tap)",
        0x9405 => "terminal error: GET MORE DATA after the last chunk (Smart Tap)",
        0x9406 => "terminal error: too many requests (Smart Tap)",
        0x9407 => "terminal error: no merchant set (Smart Tap)",
        0x9408 => "terminal error: invalid push-back URI (Smart Tap)",
        0x9500 => "permanent error: authentication failed (Smart Tap)",
        0x9502 => "permanent error: version not supported (Smart Tap)",
        0x6700 => "wrong length",
        0x6982 => "security status not satisfied",
        0x6985 => "conditions of use not satisfied",
        0x6A80 => "wrong data",
        0x6A81 => "function not supported",
        0x6A82 => "file or application not found",
        0x6A86 => "incorrect parameters P1-P2",
        0x6A88 => "referenced data not found",
        0x6B00 => "wrong parameters P1-P2",
        0x6D00 => "instruction not supported",
        0x6E00 => "class not supported",
        0x6F00 => "no precise diagnosis",
        _ => {
            return match (sw.sw1(), sw.sw2()) {
                (0x61, n) => format!("{n} more response bytes available (GET RESPONSE)"),
                (0x6C, n) => format!("wrong Le: exactly {n} bytes available"),
                (0x92, _) => "transient failure: terminal retries (Smart Tap 92xx)".into(),
                (0x93, _) => "user action needed (Smart Tap 93xx)".into(),
                (0x94, _) => "terminal error (Smart Tap 94xx)".into(),
                (0x95, _) => "permanent error: stop Smart Tap (Smart Tap 95xx)".into(),
                (0x62 | 0x63, _) => "warning".into(),
                (0x64..=0x6F, _) => "error".into(),
                _ => "unknown status word".into(),
            }
        }
    };
    text.to_string()
}

/// The name of a command by CLA/INS/P1 (smart-tap spec §6, EMV Book 3 §6.5).
pub fn command_name(cmd: &Command<'_>) -> Option<&'static str> {
    Some(match (cmd.cla, cmd.ins) {
        (0x00, 0xA4) if cmd.p1 == 0x04 => "SELECT by name",
        (0x00, 0xA4) => "SELECT",
        (0x90, 0x53) => "NEGOTIATE SECURE SMART TAP SESSION",
        (0x90, 0x50) => "GET SMART TAP DATA",
        (0x90, 0xC0) => "GET MORE SMART TAP DATA",
        (0x90, 0x52) => "PUSH SMART TAP DATA",
        (0x80, 0xA8) => "GET PROCESSING OPTIONS",
        (0x80, 0xAE) => "GENERATE AC",
        (0x00, 0xB2) => "READ RECORD",
        (0x00, 0xB0) => "READ BINARY",
        (0x00 | 0x80, 0xCA) => "GET DATA",
        (0x00, 0xC0) => "GET RESPONSE",
        (0x00, 0x84) => "GET CHALLENGE",
        (0x00, 0x88) => "INTERNAL AUTHENTICATE",
        (0x80, 0x2A) => "COMPUTE CRYPTOGRAPHIC CHECKSUM",
        _ => return None,
    })
}

// ------------------------------------------------------------------ output

#[derive(Default)]
struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, indent: usize, text: impl AsRef<str>) {
        let _ = writeln!(self.text, "{:width$}{}", "", text.as_ref(), width = indent * 2);
    }
    /// `label: hex`; values over 48 bytes wrap at 32 bytes per line.
    fn hex(&mut self, indent: usize, label: &str, bytes: &[u8]) {
        let width = if bytes.len() <= 48 { 48 } else { 32 };
        let mut chunks = bytes.chunks(width);
        match chunks.next() {
            None => self.line(indent, format!("{label}: (empty)")),
            Some(first) => self.line(indent, format!("{label}: {}", hex::encode(first))),
        }
        for chunk in chunks {
            self.line(indent + 2, hex::encode(chunk));
        }
    }
}

fn quoted_if_text(bytes: &[u8]) -> String {
    if !bytes.is_empty() && bytes.iter().all(|b| (0x20..0x7F).contains(b)) {
        format!(" {:?}", String::from_utf8_lossy(bytes))
    } else {
        String::new()
    }
}

// ------------------------------------------------------------------ top level

fn auto(out: &mut Out, bytes: &[u8]) {
    if bytes.is_empty() {
        out.line(0, "nothing to decode (no bytes)");
        return;
    }
    if Message::parse(bytes).is_ok() {
        return ndef_payload(out, bytes, 0, 0);
    }
    if let Ok(cmd) = Command::parse(bytes) {
        if command_name(&cmd).is_some() {
            return command(out, bytes, 0);
        }
    }
    if is_smart_tap_select(bytes) {
        return smart_tap_select(out, bytes, 0);
    }
    if let Some((data, sw)) = bytes.split_last_chunk::<2>() {
        let sw = StatusWord(u16::from_be_bytes(*sw));
        let known_sw = matches!(sw.sw1(), 0x61..=0x6F | 0x90..=0x95);
        let data_reads = data.is_empty()
            || Message::parse(data).is_ok()
            || is_smart_tap_select(data)
            || ber_tlv::parse_all(data).is_ok();
        if known_sw && data_reads {
            return response(out, bytes, None, 0);
        }
    }
    if ber_tlv::parse_all(bytes).is_ok() {
        return tlv_payload(out, bytes, 0);
    }
    out.line(0, format!("not recognised ({} bytes)", bytes.len()));
    if let Err(e) = Message::parse(bytes) {
        out.line(1, format!("as NDEF: {e}"));
    }
    match Command::parse(bytes) {
        Ok(cmd) => out.line(
            1,
            format!(
                "as C-APDU: well-formed, but CLA {:02X} INS {:02X} is unknown",
                cmd.cla, cmd.ins
            ),
        ),
        Err(e) => out.line(1, format!("as C-APDU: {e}")),
    }
    if let Err(e) = ber_tlv::parse_all(bytes) {
        out.line(1, format!("as BER-TLV: {e}"));
    }
    out.hex(1, "bytes", bytes);
}

fn is_smart_tap_select(bytes: &[u8]) -> bool {
    bytes.get(4..).is_some_and(|ndef| Message::parse(ndef).is_ok())
}

fn command(out: &mut Out, bytes: &[u8], indent: usize) {
    let cmd = match Command::parse(bytes) {
        Ok(cmd) => cmd,
        Err(e) => {
            out.line(indent, format!("C-APDU, malformed: {e} (a card answers {})", e.status()));
            out.hex(indent + 1, "bytes", bytes);
            return;
        }
    };
    let name = command_name(&cmd).unwrap_or("unknown command");
    let mut head = format!(
        "C-APDU {name} (CLA {:02X} INS {:02X} P1 {:02X} P2 {:02X})",
        cmd.cla, cmd.ins, cmd.p1, cmd.p2
    );
    if !cmd.data.is_empty() {
        let _ = write!(head, ", Lc {}", cmd.data.len());
    }
    match cmd.le {
        Some(ne) => {
            let _ = write!(head, ", Ne {ne}");
        }
        None => head.push_str(", no Le"),
    }
    if cmd.form == hce_wallet_core::apdu::LengthForm::Extended {
        head.push_str(", extended length");
    }
    out.line(indent, head);
    if cmd.data.is_empty() {
        return;
    }
    if cmd.is_select_by_name() {
        let known = AIDS.iter().find(|(aid, _)| *aid == cmd.data).map(|(_, n)| *n);
        let label = known.map(|n| format!(" = {n}")).unwrap_or_default();
        out.line(indent + 1, format!("AID {}{label}", hex::encode(cmd.data)));
        return;
    }
    match cmd.cla {
        0x90 => {
            out.line(indent + 1, format!("data ({} bytes):", cmd.data.len()));
            ndef_payload(out, cmd.data, 0, indent + 2);
        }
        _ => data_guess(out, cmd.data, indent + 1),
    }
}

fn response(out: &mut Out, bytes: &[u8], request: Option<&[u8]>, indent: usize) {
    let Some(r) = Response::parse(bytes) else {
        out.line(indent, format!("R-APDU, malformed: {} bytes, no status word", bytes.len()));
        return;
    };
    out.line(
        indent,
        format!("R-APDU SW {} = {}, {} data bytes", r.sw, status_meaning(r.sw), r.data.len()),
    );
    if r.data.is_empty() {
        return;
    }
    let select = request.and_then(|b| Command::parse(b).ok()).filter(Command::is_select_by_name);
    match select.map(|c| c.data) {
        Some(b"OSE.VAS.01") => tlv_payload(out, &r.data, indent + 1),
        Some([0xA0, 0x00, 0x00, 0x04, 0x76, ..]) => smart_tap_select(out, &r.data, indent + 1),
        Some(_) => tlv_payload(out, &r.data, indent + 1),
        None => data_guess(out, &r.data, indent + 1),
    }
}

/// Data of unknown kind: NDEF, Smart Tap 2 SELECT answer, BER-TLV, else hex.
fn data_guess(out: &mut Out, data: &[u8], indent: usize) {
    if Message::parse(data).is_ok() {
        ndef_payload(out, data, 0, indent);
    } else if is_smart_tap_select(data) {
        smart_tap_select(out, data, indent);
    } else if ber_tlv::parse_all(data).is_ok() {
        tlv_payload(out, data, indent);
    } else {
        out.hex(indent, "data", data);
    }
}

fn smart_tap_select(out: &mut Out, bytes: &[u8], indent: usize) {
    let (Some(min), Some(max), Some(ndef)) = (bytes.get(0..2), bytes.get(2..4), bytes.get(4..))
    else {
        out.line(indent, "Smart Tap 2 SELECT answer, malformed: shorter than 4 bytes");
        out.hex(indent + 1, "bytes", bytes);
        return;
    };
    out.line(indent, "Smart Tap 2 SELECT answer");
    out.line(indent + 1, format!("minimum version {}", hex::encode(min)));
    out.line(indent + 1, format!("maximum version {}", hex::encode(max)));
    ndef_payload(out, ndef, 0, indent + 1);
}

// ------------------------------------------------------------------ BER-TLV

fn tlv_payload(out: &mut Out, bytes: &[u8], indent: usize) {
    match ber_tlv::parse_all(bytes) {
        Ok(objects) => {
            out.line(indent, format!("BER-TLV, {} bytes", bytes.len()));
            for o in &objects {
                tlv_object(out, o, indent + 1);
            }
        }
        Err(e) => {
            out.line(indent, format!("BER-TLV, malformed: {e}"));
            out.hex(indent + 1, "bytes", bytes);
        }
    }
}

fn tlv_object(out: &mut Out, tlv: &Tlv, indent: usize) {
    let tag = tlv.tag();
    let len = tlv.content_len().unwrap_or(0);
    let name = tag_name(tag.raw()).map(str::to_string).unwrap_or_else(|| {
        let class = match tag.class() {
            Class::Universal => "universal",
            Class::Application => "application",
            Class::ContextSpecific => "context-specific",
            Class::Private => "private",
        };
        format!("{class} tag {}", tag.number())
    });
    match tlv.bytes() {
        None => {
            out.line(indent, format!("{tag} {name} ({len} bytes)"));
            for c in tlv.children() {
                tlv_object(out, c, indent + 1);
            }
        }
        Some(v) => {
            let meaning = tag_value_meaning(tag.raw(), v);
            let shown = if v.len() > 48 {
                out.line(indent, format!("{tag} {name} ({len} bytes){meaning}"));
                out.hex(indent + 1, "value", v);
                return;
            } else {
                hex::encode(v)
            };
            out.line(indent, format!("{tag} {name} ({len}): {shown}{meaning}"));
        }
    }
}

/// Names of the tags of the Smart Tap FCI (§6.1) and common EMV data objects (EMV Book 3
/// Annex A). `C0`–`C3` are named for the OSE FCI, the only place Smart Tap uses them.
fn tag_name(raw: u32) -> Option<&'static str> {
    Some(match raw {
        0x6F => "FCI template",
        0x84 => "DF name",
        0xA5 => "FCI proprietary template",
        0xBF0C => "FCI issuer discretionary data",
        0x61 => "directory entry",
        0x4F => "AID",
        0x50 => "application label",
        0x87 => "application priority",
        0x73 => "discretionary template",
        0xC0 => "Smart Tap application version",
        0xC1 => "Smart Tap transaction mode",
        0xC2 => "Smart Tap handset nonce",
        0xC3 => "Smart Tap handset ephemeral public key",
        0xDF6D => "Smart Tap minimum version",
        0xDF4D => "Smart Tap maximum version",
        0xDF62 => "Smart Tap capabilities",
        0xDF6E => "Smart Tap handset nonce",
        0xDF6B => "Smart Tap handset ephemeral public key",
        0x9F38 => "PDOL",
        0x5F2D => "language preference",
        0x9F11 => "issuer code table index",
        0x9F12 => "application preferred name",
        0x9F2A => "kernel identifier",
        0x70 => "record template",
        0x77 => "response template format 2",
        0x80 => "response template format 1",
        0x83 => "command template",
        0x82 => "application interchange profile",
        0x94 => "application file locator",
        0x57 => "track 2 equivalent data",
        0x5A => "PAN",
        0x5F20 => "cardholder name",
        0x5F24 => "expiry date",
        0x5F25 => "effective date",
        0x5F28 => "issuer country code",
        0x5F34 => "PAN sequence number",
        0x5F2A => "transaction currency code",
        0x8C => "CDOL1",
        0x8D => "CDOL2",
        0x8E => "CVM list",
        0x95 => "terminal verification results",
        0x9A => "transaction date",
        0x9C => "transaction type",
        0x9F02 => "amount, authorised",
        0x9F03 => "amount, other",
        0x9F07 => "application usage control",
        0x9F08 => "application version number",
        0x9F10 => "issuer application data",
        0x9F1A => "terminal country code",
        0x9F26 => "application cryptogram",
        0x9F27 => "cryptogram information data",
        0x9F36 => "application transaction counter",
        0x9F37 => "unpredictable number",
        0x9F4B => "signed dynamic application data",
        0x9F66 => "terminal transaction qualifiers (kernel-specific)",
        0x9F6C => "card transaction qualifiers (kernel-specific)",
        _ => return None,
    })
}

fn tag_value_meaning(raw: u32, v: &[u8]) -> String {
    match raw {
        0x50 | 0x9F12 | 0x5F20 | 0x5F2D => quoted_if_text(v),
        0x4F | 0x84 => AIDS
            .iter()
            .find(|(aid, _)| *aid == v)
            .map(|(_, n)| format!(" = {n}"))
            .unwrap_or_else(|| quoted_if_text(v)),
        0xC1 => match v.first() {
            Some(&mode) => {
                let bits = [
                    (0x80, "payment enabled"),
                    (0x40, "payment requested"),
                    (0x08, "pass enabled"),
                    (0x04, "pass requested"),
                ];
                format!(" = mode {mode:02X}: {}", bit_names(mode, &bits))
            }
            None => String::new(),
        },
        0xDF62 => match v.first() {
            Some(&caps) => {
                let bits = [(0x01, "terminal may skip the second SELECT"), (0x02, "VAS support")];
                format!(" = {}", bit_names(caps, &bits))
            }
            None => String::new(),
        },
        _ => String::new(),
    }
}

fn bit_names(value: u8, bits: &[(u8, &str)]) -> String {
    let names: Vec<&str> = bits.iter().filter(|(b, _)| value & b != 0).map(|(_, n)| *n).collect();
    let known = bits.iter().fold(0u8, |m, (b, _)| m | b);
    let mut text = if names.is_empty() { "none".to_string() } else { names.join(", ") };
    if value & !known != 0 {
        let _ = write!(text, " (+ unknown bits {:02X})", value & !known);
    }
    text
}

// ------------------------------------------------------------------ NDEF

fn ndef_payload(out: &mut Out, bytes: &[u8], depth: usize, indent: usize) {
    match Message::parse_at_depth(bytes, depth) {
        Ok(m) => ndef_message(out, &m, depth, indent),
        Err(e) => {
            out.line(indent, format!("NDEF message, malformed: {e}"));
            out.hex(indent + 1, "bytes", bytes);
        }
    }
}

fn ndef_message(out: &mut Out, m: &Message, depth: usize, indent: usize) {
    let n = m.records.len();
    out.line(indent, format!("NDEF message, {n} record{}", if n == 1 { "" } else { "s" }));
    let last = n.saturating_sub(1);
    for (i, r) in m.records.iter().enumerate() {
        ndef_record(out, r, i, i == last, depth, indent + 1);
    }
}

fn tnf_name(tnf: Tnf) -> &'static str {
    match tnf {
        Tnf::Empty => "empty",
        Tnf::WellKnown => "well-known",
        Tnf::Media => "media type",
        Tnf::AbsoluteUri => "absolute URI",
        Tnf::External => "external",
        Tnf::Unknown => "unknown",
        Tnf::Unchanged => "unchanged (chunk)",
        Tnf::Reserved => "reserved",
    }
}

/// The Smart Tap name of a record: type for TNF 4, ID for TNF 1, else either (§4.2).
fn smart_tap_name(r: &Record) -> &[u8] {
    match r.tnf {
        Tnf::WellKnown if !r.id.is_empty() => &r.id,
        _ if !r.record_type.is_empty() => &r.record_type,
        _ => &r.id,
    }
}

fn record_description(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"mdn" => "handset nonce",
        b"ses" => "session",
        b"ngr" => "negotiate request",
        b"cpr" => "crypto parameters",
        b"sig" => "signature",
        b"cld" => "collector ID",
        b"mid" => "collector ID (v0, legacy)",
        b"nrs" => "negotiate response",
        b"dpk" => "handset ephemeral public key",
        b"srq" => "service request",
        b"mer" => "merchant",
        b"lid" => "location ID",
        b"tid" => "terminal ID",
        b"mcr" => "merchant category",
        b"mnr" => "merchant name",
        b"slr" => "service list",
        b"str" => "service type request",
        b"pcr" => "POS capabilities",
        b"srs" => "service response",
        b"reb" => "record bundle (encrypted)",
        b"asr" => "additional service request (unused)",
        b"spr" => "push request",
        b"psr" => "push response",
        b"ssr" => "service status",
        b"sug" => "service usage",
        b"sut" => "usage title",
        b"sud" => "usage description",
        b"sup" => "service update",
        b"nsr" => "new service",
        b"nst" => "new service title",
        b"nsu" => "new service URI",
        b"bpr" => "basket / payment request",
        b"mon" => "amount",
        b"ccd" => "currency code",
        b"asv" => "service value",
        b"i" => "issuer",
        b"ly" => "loyalty object",
        b"of" => "offer object",
        b"gc" => "gift card object",
        b"et" => "event ticket object",
        b"fl" => "flight object",
        b"tr" => "transit object",
        b"gr" => "generic object",
        b"gp" => "generic private object",
        b"pl" => "private label card object",
        b"oid" => "object ID",
        b"n" => "service number (redemption value)",
        b"cus" => "customer",
        b"cid" => "customer ID",
        b"cpl" => "customer language",
        b"cut" => "tap ID",
        b"cud" => "device-specific ID",
        _ => return None,
    })
}

fn ndef_record(out: &mut Out, r: &Record, index: usize, last: bool, depth: usize, indent: usize) {
    let mut header = r.tnf as u8;
    let mut flags = Vec::new();
    for (set, bit, name) in [
        (index == 0, ndef::MB, "MB"),
        (last, ndef::ME, "ME"),
        (r.chunked, ndef::CF, "CF"),
        (r.short && r.payload.len() < 256, ndef::SR, "SR"),
        (!r.id.is_empty(), ndef::IL, "IL"),
    ] {
        if set {
            header |= bit;
            flags.push(name);
        }
    }
    let name = smart_tap_name(r);
    let title = match record_description(name) {
        Some(d) => format!("{} ({d})", String::from_utf8_lossy(name)),
        None if name.is_empty() => "(unnamed)".to_string(),
        None => format!("{:?}", String::from_utf8_lossy(name)),
    };
    let mut head = format!(
        "[{index}] {title}: header {header:02X} [{}], TNF {} {}",
        flags.join(" "),
        r.tnf as u8,
        tnf_name(r.tnf)
    );
    if !r.record_type.is_empty() {
        let _ = write!(head, ", type {:?}", String::from_utf8_lossy(&r.record_type));
    }
    if !r.id.is_empty() {
        let _ = write!(head, ", id {:?}", String::from_utf8_lossy(&r.id));
    }
    let n = r.payload.len();
    let _ = write!(head, ", payload {n} byte{}", if n == 1 { "" } else { "s" });
    out.line(indent, head);
    record_payload(out, r, depth, indent + 1);
}

/// The known layouts of Smart Tap payloads.
fn record_payload(out: &mut Out, r: &Record, depth: usize, indent: usize) {
    let p = r.payload.as_slice();
    if r.tnf == Tnf::WellKnown && r.record_type == b"T" {
        return rtd_text(out, p, indent);
    }
    if r.tnf == Tnf::WellKnown && r.record_type == b"U" {
        return rtd_uri(out, p, indent);
    }
    match smart_tap_name(r) {
        b"ngr" | b"srq" | b"spr" => match p.get(..2) {
            Some(v) => {
                let note = if v == [0, 1] { " (Smart Tap 2.1)" } else { "" };
                out.line(indent, format!("version {}{note}", hex::encode(v)));
                nested(out, r, 2, depth, indent);
            }
            None => out.hex(indent, "payload (too short for a version)", p),
        },
        b"nrs" | b"srs" | b"psr" | b"mer" | b"slr" | b"bpr" | b"ssr" | b"asv" | b"ly" | b"of"
        | b"gc" | b"et" | b"fl" | b"tr" | b"gr" | b"gp" | b"pl" | b"cus" => {
            nested(out, r, 0, depth, indent)
        }
        b"nsr" => {
            prefixed_container(out, r, "push service type", PUSH_SERVICE_TYPES, depth, indent)
        }
        b"sug" => prefixed_container(out, r, "usage status", USAGE_STATUS, depth, indent),
        b"sup" => match p.split_first() {
            Some((op, value)) => {
                out.line(
                    indent,
                    format!("operation {op:02X} = {}", lookup(UPDATE_OPERATIONS, *op)),
                );
                out.hex(indent, "value", value);
            }
            None => out.line(indent, "empty (no operation byte)"),
        },
        b"ses" => session(out, p, indent),
        b"cpr" => crypto_params(out, r, depth, indent),
        b"reb" => record_bundle(out, p, indent),
        b"dpk" => out.hex(indent, "compressed P-256 public key", p),
        b"str" => match p {
            [t] => {
                out.line(indent, format!("service type {t:02X} = {}", lookup(SERVICE_TYPES, *t)))
            }
            _ => out.hex(indent, "payload (expected 1 byte)", p),
        },
        b"pcr" => pos_capabilities(out, p, indent),
        b"i" => issuer(out, p, indent),
        b"mdn" | b"cld" | b"mid" | b"sig" | b"oid" | b"cid" | b"cut" | b"cud" | b"lid" | b"tid"
        | b"mcr" => format_prefixed(out, smart_tap_name(r), p, indent),
        _ => {
            if !p.is_empty() && Message::parse_at_depth(p, depth.saturating_add(1)).is_ok() {
                out.line(indent, "payload parses as an NDEF message:");
                nested(out, r, 0, depth, indent + 1);
            } else {
                out.hex(indent, "payload", p);
            }
        }
    }
}

fn nested(out: &mut Out, r: &Record, offset: usize, depth: usize, indent: usize) {
    match r.nested(offset, depth) {
        Ok(m) => ndef_message(out, &m, depth.saturating_add(1), indent),
        Err(e) => {
            out.line(indent, format!("nested NDEF message, malformed: {e}"));
            out.hex(indent + 1, "bytes", r.payload.get(offset..).unwrap_or(&[]));
        }
    }
}

fn prefixed_container(
    out: &mut Out,
    r: &Record,
    label: &str,
    table: &[(u8, &'static str)],
    depth: usize,
    indent: usize,
) {
    match r.payload.first() {
        Some(&b) => {
            out.line(indent, format!("{label} {b:02X} = {}", lookup(table, b)));
            nested(out, r, 1, depth, indent);
        }
        None => out.line(indent, format!("empty (no {label} byte)")),
    }
}

fn lookup(table: &[(u8, &'static str)], value: u8) -> &'static str {
    table.iter().find(|(v, _)| *v == value).map(|(_, n)| *n).unwrap_or("unknown")
}

/// Session status (§5).
const SESSION_STATUS: &[(u8, &str)] = &[
    (0x00, "unknown"),
    (0x01, "OK"),
    (0x02, "NDEF format invalid"),
    (0x03, "unsupported version"),
    (0x04, "invalid sequence number"),
    (0x05, "unknown merchant"),
    (0x06, "merchant info/data missing"),
    (0x07, "service data missing"),
    (0x08, "resend request"),
    (0x09, "data not available yet"),
];

/// Service type request values (§10).
const SERVICE_TYPES: &[(u8, &str)] = &[
    (0x00, "all services"),
    (0x01, "all except PPSE"),
    (0x02, "PPSE"),
    (0x03, "loyalty"),
    (0x04, "offer"),
    (0x05, "gift card"),
    (0x06, "private label card"),
    (0x07, "event ticket"),
    (0x08, "flight"),
    (0x09, "transit"),
    (0x10, "cloud-based wallet"),
    (0x11, "mobile marketing platform"),
    (0x12, "generic"),
    (0x13, "generic private"),
    (0x40, "wallet customer"),
];

/// Data-format codes of "primitive" payloads (§4.3).
const FORMATS: &[(u8, &str)] = &[
    (0x00, "unspecified"),
    (0x01, "ASCII"),
    (0x02, "UTF-8"),
    (0x03, "UTF-16"),
    (0x04, "binary"),
    (0x05, "BCD"),
];

/// PUSH DATA enumerations (§6.6).
const PUSH_SERVICE_TYPES: &[(u8, &str)] = &[
    (0x00, "unspecified"),
    (0x01, "valuable"),
    (0x02, "receipt"),
    (0x03, "survey"),
    (0x04, "goods"),
    (0x05, "signup"),
];
const USAGE_STATUS: &[(u8, &str)] = &[
    (0x00, "undefined"),
    (0x01, "success"),
    (0x02, "invalid format"),
    (0x03, "invalid value"),
    (0xFF, "unknown"),
];
const UPDATE_OPERATIONS: &[(u8, &str)] = &[
    (0x00, "no-op"),
    (0x01, "remove"),
    (0x02, "set balance"),
    (0x03, "add balance"),
    (0x04, "subtract balance"),
    (0x05, "free"),
    (0xFF, "unknown"),
];
/// Issuer types inside `i` (§7.2).
const ISSUER_TYPES: &[(u8, &str)] =
    &[(0x00, "unspecified"), (0x01, "merchant"), (0x02, "wallet"), (0x03, "manufacturer")];

fn session(out: &mut Out, p: &[u8], indent: usize) {
    match p {
        [id @ .., seq, status] if id.len() == 8 => out.line(
            indent,
            format!(
                "session id {}, sequence {seq}, status {status:02X} ({})",
                hex::encode(id),
                lookup(SESSION_STATUS, *status)
            ),
        ),
        _ => out.hex(indent, "payload (expected 10 bytes)", p),
    }
}

fn crypto_params(out: &mut Out, r: &Record, depth: usize, indent: usize) {
    let p = &r.payload;
    let (Some(nonce), Some(&auth), Some(key), Some(version)) =
        (p.get(0..32), p.get(32), p.get(33..66), p.get(66..70))
    else {
        return out.hex(indent, "payload (shorter than the 70-byte cpr header)", p);
    };
    out.hex(indent, "terminal nonce", nonce);
    let auth_text = if auth & 0x01 != 0 { "live authentication" } else { "pre-signed" };
    out.line(indent, format!("auth byte {auth:02X} ({auth_text})"));
    out.hex(indent, "terminal ephemeral public key", key);
    let v = <[u8; 4]>::try_from(version).map(u32::from_be_bytes).unwrap_or(0);
    out.line(indent, format!("key version {} ({v})", hex::encode(version)));
    nested(out, r, 70, depth, indent);
}

fn record_bundle(out: &mut Out, p: &[u8], indent: usize) {
    let Some((&flags, rest)) = p.split_first() else {
        return out.line(indent, "empty");
    };
    let names = bit_names(flags, &[(0x01, "encrypted"), (0x02, "zlib-compressed")]);
    out.line(indent, format!("flags {flags:02X} ({names})"));
    match (rest.get(..12), rest.len().checked_sub(12 + 32)) {
        (Some(iv), Some(ct_len)) => {
            out.hex(indent, "IV", iv);
            out.hex(
                indent,
                &format!("ciphertext ({ct_len} bytes)"),
                rest.get(12..12 + ct_len).unwrap_or(&[]),
            );
            out.hex(indent, "HMAC-SHA256", rest.get(12 + ct_len..).unwrap_or(&[]));
        }
        _ => out.hex(indent, "rest (shorter than IV + HMAC)", rest),
    }
}

fn format_prefixed(out: &mut Out, name: &[u8], p: &[u8], indent: usize) {
    let Some((&format, value)) = p.split_first() else {
        return out.line(indent, "empty (no format byte)");
    };
    let fname = lookup(FORMATS, format);
    let mut text = format!("format {format:02X} ({fname})");
    match (name, value.len(), format) {
        (b"cld" | b"mid", 4, _) => {
            let id = <[u8; 4]>::try_from(value).map(u32::from_be_bytes).unwrap_or(0);
            let _ = write!(text, ", collector ID {} ({id})", hex::encode(value));
            out.line(indent, text);
        }
        (_, _, 0x01 | 0x02) => {
            let _ = write!(text, ", {:?}", String::from_utf8_lossy(value));
            out.line(indent, text);
        }
        _ => {
            out.line(indent, text);
            let label = if name == b"sig" { "DER signature" } else { "value" };
            out.hex(indent, label, value);
        }
    }
}

fn issuer(out: &mut Out, p: &[u8], indent: usize) {
    match p {
        [format, kind, id @ ..] => {
            let mut text = format!(
                "format {format:02X} ({}), issuer type {kind:02X} ({})",
                lookup(FORMATS, *format),
                lookup(ISSUER_TYPES, *kind)
            );
            if let Ok(be) = <[u8; 8]>::try_from(id) {
                let _ = write!(text, ", issuer ID {}", u64::from_be_bytes(be));
            } else {
                let _ = write!(text, ", issuer ID {}", hex::encode(id));
            }
            out.line(indent, text);
        }
        _ => out.hex(indent, "payload", p),
    }
}

/// Names of the bits of one byte.
type BitNames = &'static [(u8, &'static str)];

fn pos_capabilities(out: &mut Out, p: &[u8], indent: usize) {
    let [system, ui, checkout, cvm, mode] = p else {
        return out.hex(indent, "payload (expected 5 bytes)", p);
    };
    let bytes: [(&str, u8, BitNames); 4] = [
        (
            "system",
            *system,
            &[
                (0x01, "standalone"),
                (0x02, "semi-integrated"),
                (0x04, "unattended"),
                (0x08, "online"),
                (0x10, "offline"),
                (0x20, "MMP"),
                (0x40, "zlib supported"),
            ],
        ),
        (
            "UI",
            *ui,
            &[
                (0x01, "printer"),
                (0x02, "printer graphics"),
                (0x04, "display"),
                (0x08, "images"),
                (0x10, "audio"),
                (0x20, "animation"),
                (0x40, "video"),
            ],
        ),
        (
            "checkout",
            *checkout,
            &[
                (0x01, "payment"),
                (0x02, "digital receipt"),
                (0x04, "service issuance"),
                (0x08, "OTA POS data"),
            ],
        ),
        (
            "CVM",
            *cvm,
            &[
                (0x01, "online PIN"),
                (0x02, "CD PIN"),
                (0x04, "signature"),
                (0x08, "no CVM"),
                (0x10, "device-generated code"),
                (0x20, "SP-generated code"),
                (0x40, "ID capture"),
                (0x80, "biometric"),
            ],
        ),
    ];
    for (label, value, bits) in bytes {
        out.line(indent, format!("{label} {value:02X}: {}", bit_names(value, bits)));
    }
    let modes = [
        (0x01, "pass only"),
        (0x02, "payment only"),
        (0x04, "pass and payment"),
        (0x08, "pass over payment"),
    ];
    out.line(indent, format!("mode {mode:02X}: {}", lookup(&modes, *mode)));
}

/// NFC Forum RTD Text: status byte (bit 7 UTF-16, bits 5–0 language length), language, text.
fn rtd_text(out: &mut Out, p: &[u8], indent: usize) {
    let Some((&status, rest)) = p.split_first() else {
        return out.line(indent, "RTD Text, empty");
    };
    let lang_len = usize::from(status & 0x3F);
    let utf16 = status & 0x80 != 0;
    match (status & 0x40, rest.get(..lang_len), rest.get(lang_len..)) {
        (0, Some(lang), Some(text)) => {
            let text = if utf16 {
                let units: Vec<u16> = text
                    .chunks(2)
                    .map(|c| {
                        u16::from_be_bytes([
                            c.first().copied().unwrap_or(0),
                            c.get(1).copied().unwrap_or(0),
                        ])
                    })
                    .collect();
                String::from_utf16_lossy(&units)
            } else {
                String::from_utf8_lossy(text).into_owned()
            };
            out.line(
                indent,
                format!(
                    "RTD Text: status {status:02X} ({}), language {:?}, text {text:?}",
                    if utf16 { "UTF-16" } else { "UTF-8" },
                    String::from_utf8_lossy(lang)
                ),
            );
        }
        _ => {
            out.line(
                indent,
                format!(
                    "not well-formed RTD Text (status byte {status:02X}: reserved bit set or language longer than the payload); as text: {:?}",
                    String::from_utf8_lossy(p)
                ),
            );
        }
    }
}

// NFC Forum URI RTD prefix codes: one table, in the core.
use hce_wallet_core::smart_tap::records::URI_PREFIXES;

fn rtd_uri(out: &mut Out, p: &[u8], indent: usize) {
    let Some((&code, rest)) = p.split_first() else {
        return out.line(indent, "RTD URI, empty");
    };
    match URI_PREFIXES.get(usize::from(code)) {
        Some(prefix) => out.line(
            indent,
            format!(
                "RTD URI: prefix {code:02X} ({prefix:?}), URI {:?}",
                format!("{prefix}{}", String::from_utf8_lossy(rest))
            ),
        ),
        None => out.line(indent, format!("RTD URI with reserved prefix code {code:02X}")),
    }
}
