//! Signed issuer requests (issue 15; Huawei's `readNFCCard` / `modifyNFCCard`): the issuer's
//! own app reads or writes a pass's files through the wallet, with a request signed by the
//! issuer's key ([`super::model::NfcPass::issuer_key`], Huawei's `spPublickey`).
//!
//! A request is the wallet's one signed envelope ([`crate::key_bundle::verify_envelope`]:
//! COSE_Sign1, ES256) with the content type [`REQUEST_CONTENT_TYPE`], checked against the
//! pass's issuer key **before** the payload is decoded. The payload (JSON, unknown fields
//! refused) names the pass and carries a sequence number above the last one applied — a
//! replayed or reordered request is refused ([`IssuerError::Replayed`]); the store applies
//! the request and records the sequence in one transaction.
//!
//! ```json
//! { "passId": "…", "seq": 7, "op": "read",  "fileId": "0102", "offset": 0, "length": 2 }
//! { "passId": "…", "seq": 8, "op": "write", "fileId": "0102", "offset": 0, "data": "0001" }
//! ```
//!
//! The issuer owns the card: its requests are not bound by the reader access conditions,
//! only by the file's bounds.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use serde::Deserialize;
use zeroize::Zeroizing;

use super::model::{FileId, NfcPass};
use crate::key_bundle::{verify_envelope, BundleError, PinnedRoots};

/// Content type of a signed issuer request's envelope.
pub const REQUEST_CONTENT_TYPE: &str = "application/vnd.hce-wallet.nfc-issuer-request+json";
/// Largest request accepted.
pub const MAX_REQUEST_BYTES: usize = 96 * 1024;

/// Why an issuer request is refused. Nothing was read or written.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    #[error("the pass has no issuer key: remote reads and writes are off")]
    NoIssuerKey,
    #[error("request signature: {0}")]
    Signature(#[from] BundleError),
    #[error("request payload: {0}")]
    Payload(String),
    #[error("request is for another pass")]
    WrongPass,
    #[error("request {seq} replayed or out of order (last applied {last})")]
    Replayed { seq: u64, last: u64 },
    #[error("file {0} not in the pass")]
    UnknownFile(FileId),
    #[error("{len} bytes at {offset} leave file {file}")]
    OutOfRange { file: FileId, offset: usize, len: usize },
}

/// What an issuer asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerOp {
    Read { file: FileId, offset: usize, length: usize },
    Write { file: FileId, offset: usize, data: Zeroizing<Vec<u8>> },
}

/// A request whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerRequest {
    pub seq: u64,
    pub op: IssuerOp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Payload {
    pass_id: String,
    seq: u64,
    op: String,
    file_id: String,
    offset: usize,
    #[serde(default)]
    length: Option<usize>,
    #[serde(default)]
    data: Option<String>,
}

/// Verifies `bytes` against `pass`'s issuer key and decodes it (signature first).
pub fn verify(bytes: &[u8], pass: &NfcPass) -> Result<IssuerRequest, IssuerError> {
    let key = pass.issuer_key.as_deref().ok_or(IssuerError::NoIssuerKey)?;
    let key = p256::PublicKey::from_sec1_bytes(key).map_err(|_| IssuerError::NoIssuerKey)?;
    let signed =
        verify_envelope(bytes, REQUEST_CONTENT_TYPE, &PinnedRoots::new([key]), MAX_REQUEST_BYTES)?;
    let payload: Payload =
        serde_json::from_slice(&signed.payload).map_err(|e| IssuerError::Payload(e.to_string()))?;
    if payload.pass_id != pass.id.as_str() {
        return Err(IssuerError::WrongPass);
    }
    if payload.seq <= pass.issuer_seq {
        return Err(IssuerError::Replayed { seq: payload.seq, last: pass.issuer_seq });
    }
    let fid = hex::decode(&payload.file_id)
        .ok()
        .and_then(|b| <[u8; 2]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| IssuerError::Payload("fileId: 2 bytes in hex".into()))?;
    let file = FileId(u16::from_be_bytes(fid));
    let op = match (payload.op.as_str(), payload.length, payload.data) {
        ("read", Some(length), None) => IssuerOp::Read { file, offset: payload.offset, length },
        ("write", None, Some(data)) => {
            let data = Zeroizing::new(data);
            let bytes = hex::decode(data.as_str())
                .map_err(|_| IssuerError::Payload("data: not hex".into()))?;
            IssuerOp::Write { file, offset: payload.offset, data: Zeroizing::new(bytes) }
        }
        _ => {
            return Err(IssuerError::Payload(
                "op: \"read\" with length, or \"write\" with data".into(),
            ))
        }
    };
    Ok(IssuerRequest { seq: payload.seq, op })
}

/// Applies a verified request to `pass` (the store then saves it with the new sequence):
/// the bytes read, or empty for a write.
pub fn apply(pass: &mut NfcPass, request: &IssuerRequest) -> Result<Vec<u8>, IssuerError> {
    if request.seq <= pass.issuer_seq {
        return Err(IssuerError::Replayed { seq: request.seq, last: pass.issuer_seq });
    }
    let out = match &request.op {
        IssuerOp::Read { file, offset, length } => {
            let f = pass.file(*file).ok_or(IssuerError::UnknownFile(*file))?;
            let range = offset.checked_add(*length).map(|end| *offset..end);
            range
                .and_then(|r| f.content().get(r))
                .map(<[u8]>::to_vec)
                .ok_or(IssuerError::OutOfRange { file: *file, offset: *offset, len: *length })?
        }
        IssuerOp::Write { file, offset, data } => {
            let f = pass.file_mut(*file).ok_or(IssuerError::UnknownFile(*file))?;
            f.write_at(*offset, data).ok_or(IssuerError::OutOfRange {
                file: *file,
                offset: *offset,
                len: data.len(),
            })?;
            Vec::new()
        }
    };
    pass.issuer_seq = request.seq;
    Ok(out)
}
