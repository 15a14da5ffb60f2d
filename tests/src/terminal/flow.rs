//! The tap itself (smart-tap spec §1 flow): each command in turn, its answer checked
//! strictly, the transcript annotated as it goes; and PUSH DATA in an open session.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use hce_wallet_core::apdu::{Response, StatusWord};
use hce_wallet_core::ports::PushData;
use zeroize::Zeroizing;

use super::commands::{self, NegotiateFields, AID_OSE, AID_SMART_TAP_2, SESSION_OK};
use super::crypto::{self, SessionKeys};
use super::response::{self, OseFci, Session};
use super::{
    bundle, OpenSession, Step, TapOutcome, TapResult, TapSecrets, Terminal, TerminalError,
    Transcript, MAX_GET_MORE, MAX_INFLATED_BYTES, MAX_RESPONSE_BYTES, NEGOTIATE_SEQUENCE,
    SW_MORE_DATA, SW_NO_PASS, SW_OK, SW_PRE_SIGNED,
};
use crate::card::Card;

/// Where a step left the tap: go on with its result, or stop with the handset's answer.
enum Next<T> {
    Go(T),
    Stop(TapResult),
}

impl Terminal {
    pub(super) fn run(
        &self,
        card: &mut dyn Card,
        t: &mut Transcript,
        open: &mut Option<OpenSession>,
    ) -> Result<TapResult, TerminalError> {
        let secrets = self.secrets();
        let fci = match self.select_ose(card, t)? {
            Next::Go(fci) => fci,
            Next::Stop(result) => return Ok(result),
        };
        if let Next::Stop(result) = self.select_smart_tap(card, t, &fci)? {
            return Ok(result);
        }
        let (keys, handset_sequence) = match self.negotiate(card, t, &fci, &secrets)? {
            Next::Go(negotiated) => negotiated,
            Next::Stop(result) => return Ok(result),
        };
        *open = Some(OpenSession { session_id: secrets.session_id, handset_sequence });

        // GET DATA (§6.4), retried once on 92xx as kormax's reader does (§13a).
        let mut sequence = handset_sequence.wrapping_add(1);
        let mut retried = false;
        loop {
            let (sw, data) = self.get_data(card, t, &secrets.session_id, sequence)?;
            if sw.sw1() == 0x92 && !retried {
                retried = true;
                sequence = handset_sequence.wrapping_add(3);
                t.note("transient error: retrying GET DATA once");
                continue;
            }
            return self.finish_get_data(t, &keys, &secrets.session_id, sequence, sw, &data, open);
        }
    }

    /// SELECT OSE.VAS.01 (§6.1): exactly `9000` and a complete FCI.
    fn select_ose(
        &self,
        card: &mut dyn Card,
        t: &mut Transcript,
    ) -> Result<Next<OseFci>, TerminalError> {
        let step = Step::SelectOse;
        let cmd =
            commands::select(AID_OSE).map_err(|source| TerminalError::Command { step, source })?;
        let r = exchange(card, t, step, cmd, vec!["AID 4F53452E5641532E3031 (OSE.VAS.01)".into()])?;
        if r.sw != SW_OK {
            return Ok(Next::Stop(TapResult::Ended { step, sw: r.sw }));
        }
        let fci = response::parse_ose(&r.data)
            .map_err(|source| TerminalError::Response { step, source })?;
        annotate_fci(t, &fci);
        if let (Some(min), Some(max)) = (fci.min_version, fci.max_version) {
            response::check_version(min, max)
                .map_err(|source| TerminalError::Response { step, source })?;
        }
        Ok(Next::Go(fci))
    }

    /// SELECT Smart Tap 2 (§6.2), unless configured to skip it and the FCI allows that.
    fn select_smart_tap(
        &self,
        card: &mut dyn Card,
        t: &mut Transcript,
        fci: &OseFci,
    ) -> Result<Next<()>, TerminalError> {
        if !self.config.second_select && fci.may_skip_second_select() {
            t.note("FCI capability 01 set: skipping SELECT Smart Tap 2");
            return Ok(Next::Go(()));
        }
        let step = Step::SelectSmartTap;
        let cmd = commands::select(AID_SMART_TAP_2)
            .map_err(|source| TerminalError::Command { step, source })?;
        let r = exchange(card, t, step, cmd, vec!["AID A000000476D0000111".into()])?;
        if r.sw != SW_OK {
            return Ok(Next::Stop(TapResult::Ended { step, sw: r.sw }));
        }
        let st2 = response::parse_smart_tap_select(&r.data)
            .map_err(|source| TerminalError::Response { step, source })?;
        t.note(format!(
            "versions {:04X}..{:04X}, mdn nonce {}",
            st2.min_version,
            st2.max_version,
            hex::encode(st2.nonce)
        ));
        if st2.nonce != fci.nonce {
            return Err(TerminalError::NonceMismatch);
        }
        Ok(Next::Go(()))
    }

    /// NEGOTIATE (§6.3, §11): sign, send, check `nrs`, derive the session keys. Yields the
    /// keys and the handset's sequence number.
    fn negotiate(
        &self,
        card: &mut dyn Card,
        t: &mut Transcript,
        fci: &OseFci,
        secrets: &TapSecrets,
    ) -> Result<Next<(SessionKeys, u8)>, TerminalError> {
        let cfg = &self.config;
        let step = Step::Negotiate;
        let et = crypto::compressed(&secrets.ephemeral.public_key());
        let collector = cfg.collector_id.0;
        let live_nonce = cfg.live_auth.then_some(&fci.nonce);
        let blob = crypto::signed_blob(&secrets.nonce, live_nonce, collector, &et);
        let signature = crypto::sign(&cfg.signing_key, &blob, cfg.s_form);
        let cmd = commands::negotiate(&NegotiateFields {
            session_id: &secrets.session_id,
            sequence: NEGOTIATE_SEQUENCE,
            terminal_nonce: &secrets.nonce,
            live: cfg.live_auth,
            ephemeral_public: &et,
            key_version: cfg.key_version,
            signature_der: &signature,
            collector,
        })
        .map_err(|source| TerminalError::Command { step, source })?;
        let notes = vec![
            format!(
                "session {} sequence {NEGOTIATE_SEQUENCE:02X}",
                hex::encode(secrets.session_id)
            ),
            format!(
                "collector {collector} ({}), key version {}, {} authentication",
                hex::encode(collector.to_be_bytes()),
                cfg.key_version,
                if cfg.live_auth { "live" } else { "pre-signed" }
            ),
            format!("terminal nonce {}", hex::encode(secrets.nonce)),
            format!("terminal ephemeral key {}", hex::encode(et)),
            format!("signature ({} bytes DER) {}", signature.len(), hex::encode(&signature)),
        ];
        let r = exchange(card, t, step, cmd, notes)?;
        let expected_sw = if cfg.live_auth { SW_OK } else { SW_PRE_SIGNED };
        if r.sw != SW_OK && r.sw != SW_PRE_SIGNED {
            return Ok(Next::Stop(TapResult::Ended { step, sw: r.sw }));
        }
        if r.sw != expected_sw {
            return Err(TerminalError::UnexpectedStatus { step, sw: r.sw });
        }
        let nrs = response::parse_negotiate(&r.data)
            .map_err(|source| TerminalError::Response { step, source })?;
        t.note(format!(
            "nrs: session {} sequence {:02X} status {:02X}, dpk {}",
            hex::encode(nrs.session.session_id),
            nrs.session.sequence,
            nrs.session.status,
            hex::encode(nrs.dpk)
        ));
        check_session(step, &nrs.session, &secrets.session_id, NEGOTIATE_SEQUENCE)?;
        if nrs.dpk != fci.ephemeral {
            return Err(TerminalError::KeyMismatch);
        }
        // HKDF info carries the real handset nonce, also in pre-signed mode (§11).
        let real = crypto::signed_blob(&secrets.nonce, Some(&fci.nonce), collector, &et);
        let mut info = Zeroizing::new(real.to_vec());
        info.extend_from_slice(&signature);
        let keys = SessionKeys::derive(&secrets.ephemeral, &nrs.dpk, &info)?;
        t.note("session keys derived (ECDH + HKDF-SHA256)");
        Ok(Next::Go((keys, nrs.session.sequence)))
    }

    /// Sends GET DATA and follows `9100` chaining; returns the final SW and all data.
    fn get_data(
        &self,
        card: &mut dyn Card,
        t: &mut Transcript,
        session_id: &[u8; 8],
        sequence: u8,
    ) -> Result<(StatusWord, Vec<u8>), TerminalError> {
        let cfg = &self.config;
        let step = Step::GetData;
        let cmd = commands::get_data(
            session_id,
            sequence,
            cfg.collector_id.0,
            &cfg.service_types,
            cfg.pcr.as_ref(),
        )
        .map_err(|source| TerminalError::Command { step, source })?;
        let mut notes = vec![
            format!("session {} sequence {sequence:02X}", hex::encode(session_id)),
            format!(
                "merchant collector {}, service types {}",
                cfg.collector_id,
                hex::encode(&cfg.service_types)
            ),
        ];
        notes.push(match cfg.pcr {
            Some(p) => format!(
                "pcr {} (zlib {})",
                hex::encode(p),
                if self.zlib_advertised() { "accepted" } else { "not accepted" }
            ),
            None => "no pcr (no compression)".into(),
        });
        let mut r = exchange(card, t, step, cmd, notes)?;
        let mut data = std::mem::take(&mut r.data);
        let budget = cfg.max_get_more.min(MAX_GET_MORE);
        let mut more = 0;
        while r.sw == SW_MORE_DATA {
            if data.len() > MAX_RESPONSE_BYTES {
                return Err(TerminalError::ResponseTooLong);
            }
            if more == budget {
                return Err(TerminalError::TooManyChunks(more));
            }
            more += 1;
            t.note(format!("{} bytes so far", data.len()));
            let notes = vec![format!("chunk {} of at most {}", more + 1, budget + 1)];
            r = exchange(card, t, Step::GetMoreData, commands::get_more_data(), notes)?;
            data.extend_from_slice(&r.data);
        }
        if data.len() > MAX_RESPONSE_BYTES {
            return Err(TerminalError::ResponseTooLong);
        }
        if more > 0 {
            t.note(format!("reassembled {} bytes from {} responses", data.len(), more + 1));
        }
        Ok((r.sw, data))
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_get_data(
        &self,
        t: &mut Transcript,
        keys: &SessionKeys,
        session_id: &[u8; 8],
        sequence: u8,
        sw: StatusWord,
        data: &[u8],
        open: &mut Option<OpenSession>,
    ) -> Result<TapResult, TerminalError> {
        let step = Step::GetData;
        if sw != SW_OK && sw != SW_NO_PASS {
            if !data.is_empty() {
                t.note(format!("{} data bytes with a final status word, ignored", data.len()));
            }
            return Ok(TapResult::Ended { step, sw });
        }
        if sw == SW_NO_PASS && data.is_empty() {
            t.note("no pass for this collector");
            return Ok(TapResult::Read { sw, objects: Vec::new() });
        }
        let srs = response::parse_data(data)
            .map_err(|source| TerminalError::Response { step, source })?;
        t.note(format!(
            "srs: session {} sequence {:02X} status {:02X}",
            hex::encode(srs.session.session_id),
            srs.session.sequence,
            srs.session.status
        ));
        check_session(step, &srs.session, session_id, sequence)?;
        *open =
            Some(OpenSession { session_id: *session_id, handset_sequence: srs.session.sequence });
        let Some(reb) = srs.bundle else {
            if sw == SW_OK {
                return Err(TerminalError::MissingBundle);
            }
            return Ok(TapResult::Read { sw, objects: Vec::new() });
        };
        t.note(format!(
            "reb: flags {:02X} ({}), IV {}, {} bytes ciphertext, HMAC {}",
            reb.flags,
            if reb.compressed() { "encrypted, zlib" } else { "encrypted" },
            hex::encode(reb.iv),
            reb.ciphertext.len(),
            hex::encode(reb.mac)
        ));
        if reb.compressed() && !self.zlib_advertised() {
            return Err(TerminalError::UnrequestedCompression);
        }
        let body = keys.open(&reb.iv, &reb.ciphertext, &reb.mac)?;
        t.note("HMAC verified; decrypted");
        let plain = if reb.compressed() {
            let plain = crypto::inflate(&body, MAX_INFLATED_BYTES)?;
            t.note(format!("inflated {} → {} bytes", body.len(), plain.len()));
            plain
        } else {
            body
        };
        let objects = bundle::parse_bundle(&plain).map_err(TerminalError::Bundle)?;
        for o in &objects {
            t.note(format!(
                "service object {} from issuer {} (type {:02X}){}",
                o.kind.record_name(),
                o.issuer.id_u64().map_or_else(|| hex::encode(&o.issuer.id), |id| id.to_string()),
                o.issuer.issuer_type,
                o.object_ref.map(|r| format!(", oid {}", hex::encode(r))).unwrap_or_default()
            ));
        }
        Ok(TapResult::Read { sw, objects })
    }

    /// PUSH SMART TAP DATA (§6.6) in the session `tap` negotiated, on the same card and
    /// field session; appends to its transcript. Returns the handset's final status word
    /// (`9000` only with a valid `psr`).
    pub fn push(
        &self,
        card: &mut dyn Card,
        tap: &mut TapOutcome,
        push: &PushData,
    ) -> Result<StatusWord, TerminalError> {
        let step = Step::PushData;
        let session = tap.session.ok_or(TerminalError::NoSession)?;
        let sequence = session.handset_sequence.wrapping_add(1);
        let cmd = commands::push_data(&session.session_id, sequence, push)
            .map_err(|source| TerminalError::Command { step, source })?;
        let mut notes =
            vec![format!("session {} sequence {sequence:02X}", hex::encode(session.session_id))];
        if let Some(b) = &push.balance {
            notes.push(format!(
                "balance mon {} {}",
                hex::encode(&b.amount_raw),
                b.currency.as_deref().unwrap_or("")
            ));
        }
        for s in &push.services {
            notes.push(format!(
                "service update oid {}{}{}",
                hex::encode(s.object_ref),
                s.usage.as_ref().map(|u| format!(", usage {:02X}", u.status)).unwrap_or_default(),
                s.operation
                    .as_ref()
                    .map(|(op, v)| format!(", operation {op:02X} value {}", hex::encode(v)))
                    .unwrap_or_default()
            ));
        }
        let t = &mut tap.transcript;
        let r = exchange(card, t, step, cmd, notes)?;
        if r.sw != SW_OK {
            return Ok(r.sw);
        }
        let psr = response::parse_push(&r.data)
            .map_err(|source| TerminalError::Response { step, source })?;
        t.note(format!(
            "psr: session {} sequence {:02X} status {:02X}",
            hex::encode(psr.session_id),
            psr.sequence,
            psr.status
        ));
        check_session(step, &psr, &session.session_id, sequence)?;
        tap.session = Some(OpenSession { handset_sequence: psr.sequence, ..session });
        Ok(r.sw)
    }
}

/// Sends one command, records it, and splits the answer.
fn exchange(
    card: &mut dyn Card,
    t: &mut Transcript,
    step: Step,
    command: Vec<u8>,
    notes: Vec<String>,
) -> Result<Response, TerminalError> {
    let answer = card.transmit(&command);
    t.push(step, command, notes);
    let answer = answer.map_err(|source| TerminalError::Card { step, source })?;
    if let Some(e) = t.last_mut() {
        e.response = answer.clone();
    }
    Response::parse(&answer).ok_or(TerminalError::NoStatusWord { step, len: answer.len() })
}

/// `ses` must echo our session ID with request sequence + 1 and status OK (§5).
fn check_session(
    step: Step,
    ses: &Session,
    session_id: &[u8; 8],
    request_sequence: u8,
) -> Result<(), TerminalError> {
    if &ses.session_id != session_id {
        return Err(TerminalError::SessionMismatch {
            step,
            expected: hex::encode(session_id),
            got: hex::encode(ses.session_id),
        });
    }
    let expected = request_sequence.wrapping_add(1);
    if ses.sequence != expected {
        return Err(TerminalError::Sequence { step, expected, got: ses.sequence });
    }
    if ses.status != SESSION_OK {
        return Err(TerminalError::SessionStatus { step, status: ses.status });
    }
    Ok(())
}

fn annotate_fci(t: &mut Transcript, fci: &OseFci) {
    let mode = fci.mode.first().copied().unwrap_or(0);
    let bits: Vec<&str> = [
        (0x80, "payment enabled"),
        (0x40, "payment requested"),
        (0x08, "pass enabled"),
        (0x04, "pass requested"),
    ]
    .iter()
    .filter(|(b, _)| mode & b != 0)
    .map(|(_, n)| *n)
    .collect();
    t.note(format!(
        "wallet {:?}, application version {}, mode {mode:02X} ({})",
        String::from_utf8_lossy(&fci.label),
        hex::encode(&fci.app_version),
        bits.join(", ")
    ));
    t.note(format!("handset nonce {}", hex::encode(fci.nonce)));
    t.note(format!("handset ephemeral key {}", hex::encode(fci.ephemeral)));
    let v = |v: Option<u16>| v.map_or_else(|| "?".to_string(), |v| format!("{v:04X}"));
    t.note(format!(
        "Smart Tap 2 entry: versions {}..{}, capabilities {}{}",
        v(fci.min_version),
        v(fci.max_version),
        fci.capabilities.map_or_else(|| "none".to_string(), |c| format!("{c:02X}")),
        if fci.may_skip_second_select() { " (second SELECT optional)" } else { "" }
    ));
}
