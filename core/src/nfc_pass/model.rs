//! The NFC pass model (issue 15): an issuer's card application — its AID, its files with
//! per-file access conditions, its external-authentication keys — as the applet serves it.
//!
//! Every constructor validates, so an [`NfcPass`] that exists is one the applet can serve:
//! AID of 5–16 bytes (ISO/IEC 7816-4 §8.2.1.2), unique file IDs outside the reserved ones
//! (`3F00` MF, `3FFF`, `FFFF`, §7.1.1), content no longer than the file, access conditions
//! naming keys that exist, keys that are not degenerate.
//!
//! # Keys: AES-128, or two-key TDES when the issuer's key demands it
//!
//! An issuer registers an "external authentication key" of up to 16 bytes (Huawei Wallet's
//! NFC parameters). A 16-byte key fits both AES-128 and two-key TDES (K1 ‖ K2, EDE), and
//! only the issuer knows which its readers run, so the pass says it ([`KeyAlgorithm`]).
//! AES-128 is the default and the recommendation (128-bit security, what current access
//! readers use); two-key TDES (at most 80-bit security, NIST SP 800-131A disallows it for
//! new encryption) exists only for installed readers that speak nothing else (MIFARE
//! DESFire-era locks). A TDES key with K1 = K2 collapses to single DES and is refused.
//! Keys shorter than 16 bytes are refused rather than padded: padding would silently give
//! a weaker key than the issuer believes it has.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fmt;

use zeroize::Zeroizing;

/// Shortest and longest AID (ISO/IEC 7816-4 §8.2.1.2: RID 5 bytes + PIX up to 11).
pub const AID_LEN: std::ops::RangeInclusive<usize> = 5..=16;
/// Largest file: READ/UPDATE BINARY offsets are 15 bits (ISO/IEC 7816-4 §11.3.3, P1 b8 = 0).
pub const MAX_FILE_SIZE: usize = 0x7FFF;
/// Most files one pass may hold (a cap on issuer data, not a protocol limit).
pub const MAX_FILES: usize = 32;
/// Most keys one pass may hold.
pub const MAX_KEYS: usize = 8;
/// Key length: AES-128 or two-key TDES.
pub const KEY_LEN: usize = 16;
/// Highest key reference: EXTERNAL AUTHENTICATE P2 b5–b1 (ISO/IEC 7816-4 §11.5.4).
pub const MAX_KEY_NUMBER: u8 = 0x1F;
/// Most retries a key may allow: the count must fit the `x` of `63Cx`.
pub const MAX_TRIES: u8 = 15;
/// File IDs ISO/IEC 7816-4 §7.1.1 reserves: the MF, "current DF", and RFU.
pub const RESERVED_FILE_IDS: [u16; 3] = [0x3F00, 0x3FFF, 0xFFFF];

/// Why an NFC pass (or one of its parts) is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NfcPassError {
    #[error("AID of {0} bytes (5 to 16 allowed)")]
    AidLength(usize),
    #[error("file ID {0:04X} is reserved by ISO/IEC 7816-4")]
    ReservedFileId(u16),
    #[error("file {0:04X} appears twice")]
    DuplicateFile(u16),
    #[error("file {id:04X}: size {size} exceeds {max}")]
    FileTooLarge { id: u16, size: usize, max: usize },
    #[error("file {id:04X}: content of {len} bytes exceeds its size {size}")]
    ContentTooLong { id: u16, len: usize, size: usize },
    #[error("file {id:04X}: access condition names key {key}, which the pass lacks")]
    UnknownKey { id: u16, key: u8 },
    #[error("key number {0} outside 1..=31")]
    KeyNumber(u8),
    #[error("key {0} appears twice")]
    DuplicateKey(u8),
    #[error("key {number}: {len} bytes, a key is exactly 16")]
    KeyLength { number: u8, len: usize },
    #[error("key {0}: two-key TDES with K1 = K2 is single DES")]
    DegenerateTdes(u8),
    #[error("key {number}: {tries} tries (1 to 15 allowed)")]
    Tries { number: u8, tries: u8 },
    #[error("{what}: {count} (at most {max})")]
    TooMany { what: &'static str, count: usize, max: usize },
    #[error("pass ID is empty or longer than 128 bytes")]
    PassId,
}

/// A pass's identifier (the issuer's serial number or object ID).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PassId(String);

impl PassId {
    pub fn new(id: impl Into<String>) -> Result<PassId, NfcPassError> {
        let id = id.into();
        if id.is_empty() || id.len() > 128 {
            return Err(NfcPassError::PassId);
        }
        Ok(PassId(id))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for PassId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PassId({})", self.0)
    }
}
impl fmt::Display for PassId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An application identifier, 5–16 bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Aid(Vec<u8>);

impl Aid {
    pub fn new(bytes: &[u8]) -> Result<Aid, NfcPassError> {
        if !AID_LEN.contains(&bytes.len()) {
            return Err(NfcPassError::AidLength(bytes.len()));
        }
        Ok(Aid(bytes.to_vec()))
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// Upper-case hex, as Android's `registerAidsForService` wants it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02X}")).collect()
    }
}
impl fmt::Debug for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aid({})", self.to_hex())
    }
}
impl fmt::Display for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An elementary file's two-byte identifier (ISO/IEC 7816-4 §7.1.1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u16);
impl fmt::Debug for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileId({:04X})", self.0)
    }
}
impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// A key reference, 1–31 (EXTERNAL / INTERNAL AUTHENTICATE P2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct KeyNumber(u8);
impl KeyNumber {
    pub fn new(n: u8) -> Result<KeyNumber, NfcPassError> {
        if n == 0 || n > MAX_KEY_NUMBER {
            return Err(NfcPassError::KeyNumber(n));
        }
        Ok(KeyNumber(n))
    }
    pub const fn get(self) -> u8 {
        self.0
    }
}
impl fmt::Display for KeyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// When a file may be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Without any authentication.
    Always,
    /// After a successful EXTERNAL AUTHENTICATE with this key in the same selection.
    Key(KeyNumber),
    /// Never by a reader (the issuer's signed requests still can).
    Never,
}

/// One transparent elementary file.
#[derive(Clone, PartialEq, Eq)]
pub struct NfcFile {
    pub id: FileId,
    pub read: Access,
    pub write: Access,
    /// The issuer's remark (what the file holds), for people; never sent to readers.
    pub remark: String,
    /// Exactly `size` bytes (shorter issuer content is padded with `00`).
    content: Zeroizing<Vec<u8>>,
}

impl NfcFile {
    /// A file of `size` bytes starting with `content`.
    pub fn new(
        id: u16,
        size: usize,
        content: &[u8],
        read: Access,
        write: Access,
        remark: impl Into<String>,
    ) -> Result<NfcFile, NfcPassError> {
        if RESERVED_FILE_IDS.contains(&id) {
            return Err(NfcPassError::ReservedFileId(id));
        }
        if size > MAX_FILE_SIZE {
            return Err(NfcPassError::FileTooLarge { id, size, max: MAX_FILE_SIZE });
        }
        if content.len() > size {
            return Err(NfcPassError::ContentTooLong { id, len: content.len(), size });
        }
        let mut bytes = Zeroizing::new(vec![0u8; size]);
        if let Some(head) = bytes.get_mut(..content.len()) {
            head.copy_from_slice(content);
        }
        Ok(NfcFile { id: FileId(id), read, write, remark: remark.into(), content: bytes })
    }
    pub fn size(&self) -> usize {
        self.content.len()
    }
    pub fn content(&self) -> &[u8] {
        &self.content
    }
    /// Overwrites `data.len()` bytes at `offset`; `None` (and no change) if that leaves the file.
    pub fn write_at(&mut self, offset: usize, data: &[u8]) -> Option<()> {
        let end = offset.checked_add(data.len())?;
        self.content.get_mut(offset..end)?.copy_from_slice(data);
        Some(())
    }
}

impl fmt::Debug for NfcFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NfcFile")
            .field("id", &self.id)
            .field("size", &self.size())
            .field("read", &self.read)
            .field("write", &self.write)
            .field("content", &"<redacted>")
            .finish()
    }
}

/// The block cipher a key is for (see the module doc for why two).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum KeyAlgorithm {
    #[default]
    Aes128,
    /// Two-key triple DES, EDE (K1 ‖ K2).
    Tdes2Key,
}

/// An external-authentication key with its retry counter.
#[derive(Clone, PartialEq, Eq)]
pub struct NfcKey {
    pub number: KeyNumber,
    pub algorithm: KeyAlgorithm,
    value: Zeroizing<[u8; KEY_LEN]>,
    /// Failed EXTERNAL AUTHENTICATEs allowed in a row.
    pub max_tries: u8,
    /// Tries left; 0 = blocked (`6983`).
    pub remaining: u8,
}

impl NfcKey {
    /// A key with its counter full.
    pub fn new(
        number: u8,
        algorithm: KeyAlgorithm,
        value: &[u8],
        max_tries: u8,
    ) -> Result<NfcKey, NfcPassError> {
        let number = KeyNumber::new(number)?;
        let n = number.get();
        let value: [u8; KEY_LEN] = value
            .try_into()
            .map_err(|_| NfcPassError::KeyLength { number: n, len: value.len() })?;
        let value = Zeroizing::new(value);
        if algorithm == KeyAlgorithm::Tdes2Key && value.get(..8) == value.get(8..) {
            return Err(NfcPassError::DegenerateTdes(n));
        }
        if max_tries == 0 || max_tries > MAX_TRIES {
            return Err(NfcPassError::Tries { number: n, tries: max_tries });
        }
        Ok(NfcKey { number, algorithm, value, max_tries, remaining: max_tries })
    }
    /// The key bytes, for the cipher only.
    pub fn value(&self) -> &[u8; KEY_LEN] {
        &self.value
    }
    pub fn is_blocked(&self) -> bool {
        self.remaining == 0
    }
}

impl fmt::Debug for NfcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NfcKey")
            .field("number", &self.number)
            .field("algorithm", &self.algorithm)
            .field("value", &"<redacted>")
            .field("remaining", &self.remaining)
            .field("max_tries", &self.max_tries)
            .finish()
    }
}

/// Whether the pass answers readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NfcPassState {
    #[default]
    Active,
    /// Kept but not answering (the issuer or the user paused it).
    Suspended,
}

/// An issuer NFC pass: identity, AID, files, keys and the issuer's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NfcPass {
    pub id: PassId,
    /// The issuer (`organizationName`).
    pub organization: String,
    pub aid: Aid,
    files: Vec<NfcFile>,
    keys: Vec<NfcKey>,
    /// Where receive / delete / swipe events are POSTed (issuer callback).
    pub callback_url: Option<String>,
    /// Whether the pass may be synced to the user's other devices.
    pub sync_across_devices: bool,
    pub state: NfcPassState,
    /// The issuer's P-256 public key (SEC1) its signed read/write requests are checked
    /// against (Huawei's `spPublickey`); `None`: the issuer cannot read or write remotely.
    pub issuer_key: Option<Vec<u8>>,
    /// Sequence number of the last issuer request applied (replay protection).
    pub issuer_seq: u64,
}

impl NfcPass {
    /// Validates the whole pass (see the module doc).
    pub fn new(
        id: PassId,
        organization: impl Into<String>,
        aid: Aid,
        files: Vec<NfcFile>,
        keys: Vec<NfcKey>,
    ) -> Result<NfcPass, NfcPassError> {
        if files.len() > MAX_FILES {
            return Err(NfcPassError::TooMany {
                what: "files",
                count: files.len(),
                max: MAX_FILES,
            });
        }
        if keys.len() > MAX_KEYS {
            return Err(NfcPassError::TooMany { what: "keys", count: keys.len(), max: MAX_KEYS });
        }
        for (i, k) in keys.iter().enumerate() {
            if keys.iter().skip(i.saturating_add(1)).any(|o| o.number == k.number) {
                return Err(NfcPassError::DuplicateKey(k.number.get()));
            }
        }
        for (i, f) in files.iter().enumerate() {
            if files.iter().skip(i.saturating_add(1)).any(|o| o.id == f.id) {
                return Err(NfcPassError::DuplicateFile(f.id.0));
            }
            for access in [f.read, f.write] {
                if let Access::Key(n) = access {
                    if !keys.iter().any(|k| k.number == n) {
                        return Err(NfcPassError::UnknownKey { id: f.id.0, key: n.get() });
                    }
                }
            }
        }
        Ok(NfcPass {
            id,
            organization: organization.into(),
            aid,
            files,
            keys,
            callback_url: None,
            sync_across_devices: false,
            state: NfcPassState::Active,
            issuer_key: None,
            issuer_seq: 0,
        })
    }
    pub fn files(&self) -> &[NfcFile] {
        &self.files
    }
    pub fn file(&self, id: FileId) -> Option<&NfcFile> {
        self.files.iter().find(|f| f.id == id)
    }
    pub fn file_mut(&mut self, id: FileId) -> Option<&mut NfcFile> {
        self.files.iter_mut().find(|f| f.id == id)
    }
    pub fn keys(&self) -> &[NfcKey] {
        &self.keys
    }
    pub fn key(&self, n: KeyNumber) -> Option<&NfcKey> {
        self.keys.iter().find(|k| k.number == n)
    }
    pub fn key_mut(&mut self, n: KeyNumber) -> Option<&mut NfcKey> {
        self.keys.iter_mut().find(|k| k.number == n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert_eq!(Aid::new(&[1; 4]), Err(NfcPassError::AidLength(4)));
        assert_eq!(Aid::new(&[1; 17]), Err(NfcPassError::AidLength(17)));
        assert!(Aid::new(&[1; 16]).is_ok());
        let f = |id, size, content: &[u8]| {
            NfcFile::new(id, size, content, Access::Always, Access::Never, "")
        };
        assert_eq!(f(0x3F00, 1, &[]).unwrap_err(), NfcPassError::ReservedFileId(0x3F00));
        assert!(matches!(f(1, 0x8000, &[]), Err(NfcPassError::FileTooLarge { .. })));
        assert!(matches!(f(1, 1, &[1, 2]), Err(NfcPassError::ContentTooLong { .. })));
        assert_eq!(f(1, 3, &[7]).unwrap().content(), &[7, 0, 0]);
        assert_eq!(
            NfcKey::new(1, KeyAlgorithm::Tdes2Key, &[5; 16], 3),
            Err(NfcPassError::DegenerateTdes(1))
        );
        assert!(matches!(
            NfcKey::new(1, KeyAlgorithm::Aes128, &[5; 15], 3),
            Err(NfcPassError::KeyLength { len: 15, .. })
        ));
        assert!(matches!(
            NfcKey::new(1, KeyAlgorithm::Aes128, &[5; 16], 16),
            Err(NfcPassError::Tries { .. })
        ));
        assert_eq!(
            NfcKey::new(32, KeyAlgorithm::Aes128, &[5; 16], 3),
            Err(NfcPassError::KeyNumber(32))
        );
        let file = NfcFile::new(1, 4, &[], Access::Key(KeyNumber(2)), Access::Never, "").unwrap();
        let key = NfcKey::new(1, KeyAlgorithm::Aes128, &[9; 16], 3).unwrap();
        let pass = |files, keys| {
            NfcPass::new(PassId::new("p").unwrap(), "org", Aid::new(&[1; 7]).unwrap(), files, keys)
        };
        assert_eq!(
            pass(vec![file.clone()], vec![key.clone()]),
            Err(NfcPassError::UnknownKey { id: 1, key: 2 })
        );
        assert_eq!(
            pass(vec![], vec![key.clone(), key.clone()]),
            Err(NfcPassError::DuplicateKey(1))
        );
        let plain = f(1, 1, &[]).unwrap();
        assert_eq!(pass(vec![plain.clone(), plain], vec![]), Err(NfcPassError::DuplicateFile(1)));
    }

    #[test]
    fn debug_hides_secrets() {
        let key = NfcKey::new(1, KeyAlgorithm::Aes128, &[0xAB; 16], 3).unwrap();
        let file = NfcFile::new(1, 2, &[0xCD, 0xEF], Access::Always, Access::Never, "").unwrap();
        let text = format!("{key:?} {file:?}");
        assert!(!text.contains("171") && !text.contains("AB") && !text.contains("ab"));
        assert!(!text.contains("205") && !text.contains("CD"));
    }

    #[test]
    fn write_at_stays_inside() {
        let mut file = NfcFile::new(1, 4, &[], Access::Always, Access::Always, "").unwrap();
        assert_eq!(file.write_at(3, &[1, 2]), None);
        assert_eq!(file.content(), &[0; 4]);
        assert_eq!(file.write_at(2, &[1, 2]), Some(()));
        assert_eq!(file.content(), &[0, 0, 1, 2]);
    }
}
