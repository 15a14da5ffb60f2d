//! The open-time tamper check in O(1) (issue #12, "Cold start O(1) in the number of
//! passes").
//!
//! redb's integrity check (`Builder::set_check_integrity_on_open`) reads and hashes every
//! page of the file: at 10k passes it is most of a cold start. It is needed only when the
//! file changed since this store last wrote it. So after each of its own writes (the open,
//! every commit, the close) the store records the file's identity — device, inode, size,
//! modification and status-change (`ctime`) times — as an HMAC keyed from the root key, in
//! a sidecar file `<store file>.stamp`. An open whose file still has that identity skips
//! the whole-file check ([`IntegrityCheck::WhenChanged`], the default); any other open runs
//! it.
//!
//! Why that is enough: any write to the file by another party changes its `ctime` (the
//! kernel sets it; no unprivileged call sets it back, unlike `mtime`), a file put in its
//! place has another inode, and without the root key nobody can write a stamp that
//! matches. A missing or stale stamp (a crash between a commit and its stamp, a copied or
//! restored file) costs one full check, never a skipped one. Not covered: a write landing
//! in the same kernel timestamp tick (a few ms) as the store's own last write while the
//! store has the file open, and media corruption below the file system (no metadata
//! changes); both reach redb unchecked, where record AEAD still refuses altered values and
//! the tap path's panic guard still answers a status word.
//!
//! Hand-written: it is a `stat`, an HMAC (the store's own [`Crypto`]) and a 32-byte file;
//! no crate does this for redb.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use subtle::ConstantTimeEq;

use crate::codec::CryptoCell;
use crate::envelope::BLIND_LEN;

/// When [`crate::Store::open_with`] runs redb's whole-file integrity check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IntegrityCheck {
    /// On every open.
    Always,
    /// Only when the file is not as this store last left it (its stamp does not match).
    /// In-memory backends have no stamp: they are always checked.
    #[default]
    WhenChanged,
    /// Never (tests that inject faults; redb still repairs after a crash).
    Never,
}

/// The sidecar stamp of one store file, keyed by the store's current root key (the cell
/// it shares with the store, so a rekey changes both). Declared as the store's last field,
/// so its `Drop` stamps the file after redb's close wrote it.
pub(crate) struct Stamper {
    file: PathBuf,
    sidecar: PathBuf,
    crypto: CryptoCell,
    /// The sidecar, kept open after the first stamp: a commit's stamp is then one write in
    /// place, not a create / truncate / close (on the tap path, after every journal write).
    open: Mutex<Option<File>>,
}

impl Stamper {
    pub(crate) fn new(file: &Path, crypto: CryptoCell) -> Self {
        let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".stamp");
        Stamper {
            file: file.to_path_buf(),
            sidecar: file.with_file_name(name),
            crypto,
            open: Mutex::new(None),
        }
    }

    /// Whether the file is exactly as this store last recorded it.
    pub(crate) fn matches(&self) -> bool {
        let (Some(id), Some(saved)) = (identity(&self.file), read_stamp(&self.sidecar)) else {
            return false;
        };
        let expected = self.crypto.get().file_stamp(&id);
        saved.len() == expected.len() && bool::from(saved.ct_eq(&expected))
    }

    /// Records the file's identity now. Best effort: a stamp that cannot be written is
    /// removed, which only costs the next open a full check.
    pub(crate) fn record(&self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(id) = identity(&self.file) else {
            *open = None;
            let _ = std::fs::remove_file(&self.sidecar);
            return;
        };
        let stamp = self.crypto.get().file_stamp(&id);
        let written = match open.as_mut() {
            Some(f) => f.seek(SeekFrom::Start(0)).and_then(|_| f.write_all(&stamp)),
            // Truncated on first use: whatever was there (a stamp is always this long).
            None => File::create(&self.sidecar).and_then(|mut f| {
                f.write_all(&stamp)?;
                *open = Some(f);
                Ok(())
            }),
        };
        if let Err(e) = written {
            log::warn!("store stamp not written ({e}): the next open checks the whole file");
            *open = None;
            let _ = std::fs::remove_file(&self.sidecar);
        }
    }
}

impl Drop for Stamper {
    fn drop(&mut self) {
        self.record();
    }
}

/// The sidecar's bytes, at most one byte more than a stamp (whatever is there is input).
fn read_stamp(sidecar: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut saved = Vec::with_capacity(BLIND_LEN + 1);
    std::fs::File::open(sidecar).ok()?.take(BLIND_LEN as u64 + 1).read_to_end(&mut saved).ok()?;
    Some(saved)
}

/// Device, inode, size, mtime and ctime (seconds and nanoseconds), big-endian.
#[cfg(unix)]
fn identity(file: &Path) -> Option<[u8; 56]> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(file).ok()?;
    let fields = [
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime() as u64,
        m.mtime_nsec() as u64,
        m.ctime() as u64,
        m.ctime_nsec() as u64,
    ];
    let mut out = [0u8; 56];
    for (chunk, v) in out.chunks_exact_mut(8).zip(fields) {
        chunk.copy_from_slice(&v.to_be_bytes());
    }
    Some(out)
}

/// Elsewhere there is no `ctime`: every open is checked.
#[cfg(not(unix))]
fn identity(_file: &Path) -> Option<[u8; 56]> {
    None
}
