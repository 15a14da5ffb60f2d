//! The JSON fixture form of an NFC pass (demo passes, `hcectl vpcd --nfc`, tests): the
//! model of [`super::model`] with hex bytes. Not an issuer import format — Huawei's
//! `HwWalletObject` and signed packages are imported elsewhere; this is what a developer
//! writes by hand. Key values appear in it, so fixtures are for demo keys only.
//!
//! ```json
//! { "id": "door-1", "organization": "Example Campus", "aid": "F04843454B4559",
//!   "keys": [ { "number": 1, "algorithm": "AES-128", "value": "00…0F", "tries": 3 } ],
//!   "files": [ { "id": "0101", "size": 16, "content": "…", "read": "key:1",
//!                "write": "never", "remark": "door credential" } ] }
//! ```
//!
//! Access conditions: `"always"`, `"never"`, `"key:N"`. Algorithms: `"AES-128"`,
//! `"TDES-2KEY"`. Errors name the path of the offending value (`files[1].read`).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use serde::Deserialize;
use zeroize::Zeroize;

use super::model::{
    Access, Aid, KeyAlgorithm, KeyNumber, NfcFile, NfcKey, NfcPass, NfcPassError, PassId,
};

/// Longest fixture accepted (a pass is at most a few kilobytes of files).
pub const MAX_FIXTURE_LEN: usize = 256 * 1024;

/// Why a fixture is refused.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture of {0} bytes exceeds {MAX_FIXTURE_LEN}")]
    TooLarge(usize),
    #[error("not a fixture: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{path}: {reason}")]
    Value { path: String, reason: String },
    #[error("{path}: {source}")]
    Pass { path: String, source: NfcPassError },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PassJson {
    id: String,
    organization: String,
    aid: String,
    #[serde(default)]
    keys: Vec<KeyJson>,
    #[serde(default)]
    files: Vec<FileJson>,
    #[serde(default)]
    callback_url: Option<String>,
    #[serde(default)]
    sync_across_devices: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyJson {
    number: u8,
    algorithm: String,
    value: String,
    tries: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    id: String,
    size: usize,
    #[serde(default)]
    content: String,
    read: String,
    write: String,
    #[serde(default)]
    remark: String,
}

fn bytes(path: &str, hex_text: &str) -> Result<Vec<u8>, FixtureError> {
    hex::decode(hex_text.replace(' ', ""))
        .map_err(|e| FixtureError::Value { path: path.to_owned(), reason: format!("not hex: {e}") })
}

fn access(path: &str, text: &str) -> Result<Access, FixtureError> {
    let bad = |reason: &str| FixtureError::Value { path: path.to_owned(), reason: reason.into() };
    match text {
        "always" => Ok(Access::Always),
        "never" => Ok(Access::Never),
        _ => {
            let n = text
                .strip_prefix("key:")
                .and_then(|n| n.parse::<u8>().ok())
                .ok_or_else(|| bad("expected \"always\", \"never\" or \"key:N\""))?;
            KeyNumber::new(n).map(Access::Key).map_err(|e| bad(&e.to_string()))
        }
    }
}

/// Parses and validates a fixture.
pub fn parse(json: &[u8]) -> Result<NfcPass, FixtureError> {
    if json.len() > MAX_FIXTURE_LEN {
        return Err(FixtureError::TooLarge(json.len()));
    }
    let mut doc: PassJson = serde_json::from_slice(json)?;
    let pass_err = |path: &str| {
        let path = path.to_owned();
        move |source| FixtureError::Pass { path, source }
    };
    let mut keys = Vec::with_capacity(doc.keys.len());
    for (i, k) in doc.keys.iter_mut().enumerate() {
        let path = format!("keys[{i}]");
        let algorithm = match k.algorithm.as_str() {
            "AES-128" => KeyAlgorithm::Aes128,
            "TDES-2KEY" => KeyAlgorithm::Tdes2Key,
            _ => {
                return Err(FixtureError::Value {
                    path: format!("{path}.algorithm"),
                    reason: "expected \"AES-128\" or \"TDES-2KEY\"".into(),
                })
            }
        };
        let mut value = zeroize::Zeroizing::new(bytes(&format!("{path}.value"), &k.value)?);
        k.value.zeroize();
        keys.push(NfcKey::new(k.number, algorithm, &value, k.tries).map_err(pass_err(&path))?);
        value.zeroize();
    }
    let mut files = Vec::with_capacity(doc.files.len());
    for (i, f) in doc.files.iter().enumerate() {
        let path = format!("files[{i}]");
        let id = bytes(&format!("{path}.id"), &f.id)?;
        let id: [u8; 2] = id.try_into().map_err(|_| FixtureError::Value {
            path: format!("{path}.id"),
            reason: "a file ID is 2 bytes".into(),
        })?;
        let content = zeroize::Zeroizing::new(bytes(&format!("{path}.content"), &f.content)?);
        files.push(
            NfcFile::new(
                u16::from_be_bytes(id),
                f.size,
                &content,
                access(&format!("{path}.read"), &f.read)?,
                access(&format!("{path}.write"), &f.write)?,
                f.remark.clone(),
            )
            .map_err(pass_err(&path))?,
        );
    }
    let id = PassId::new(doc.id.clone()).map_err(pass_err("id"))?;
    let aid = Aid::new(&bytes("aid", &doc.aid)?).map_err(pass_err("aid"))?;
    let mut pass =
        NfcPass::new(id, doc.organization.clone(), aid, files, keys).map_err(pass_err("(pass)"))?;
    pass.callback_url = doc.callback_url.take();
    pass.sync_across_devices = doc.sync_across_devices;
    Ok(pass)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DOOR: &str = r#"{ "id": "door-1", "organization": "Example", "aid": "F04843454B4559",
        "keys": [ { "number": 1, "algorithm": "AES-128", "value": "000102030405060708090A0B0C0D0E0F", "tries": 3 } ],
        "files": [ { "id": "0101", "size": 4, "content": "CAFE", "read": "key:1", "write": "never" } ] }"#;

    #[test]
    fn parses_and_names_paths() {
        let pass = parse(DOOR.as_bytes()).unwrap();
        assert_eq!(pass.files().first().unwrap().content(), &[0xCA, 0xFE, 0, 0]);
        let bad = DOOR.replace("key:1\"", "key:2\"");
        let e = parse(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("(pass)") && e.contains("key 2"), "{e}");
        let bad = DOOR.replace("\"never\"", "\"sometimes\"");
        assert!(parse(bad.as_bytes()).unwrap_err().to_string().starts_with("files[0].write"));
        let bad = DOOR.replace("AES-128", "DES");
        assert!(parse(bad.as_bytes()).unwrap_err().to_string().starts_with("keys[0].algorithm"));
        assert!(matches!(parse(b"{}"), Err(FixtureError::Json(_))));
    }
}
