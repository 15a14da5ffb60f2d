//! The O(1) tamper check at open (issue #12, "Cold start O(1) in the number of passes";
//! `store/src/stamp.rs`): a file as the store left it opens without redb's whole-file
//! integrity check, and a file changed by anyone else is checked whatever its stamp says.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use hce_wallet_store::{IntegrityCheck, Store, StoreError, StoreOptions};

fn stamp_of(path: &Path) -> PathBuf {
    path.with_file_name(format!("{}.stamp", path.file_name().unwrap().to_string_lossy()))
}

fn checked(path: &Path, n: u8) -> bool {
    Store::open(path, &key(n)).unwrap().integrity_checked_at_open()
}

/// Kernels without fine-grained timestamps give every write of one tick (a few ms) the
/// same `ctime`; the tests change files one tick after the store's last write.
fn next_tick() {
    std::thread::sleep(Duration::from_millis(30));
}

fn build(path: &Path) {
    let store = Store::open(path, &key(1)).unwrap();
    assert!(store.integrity_checked_at_open(), "a new file has no stamp yet");
    for n in 0..3 {
        let (c, o) = batch(n, 10, ISSUER);
        store.import_class(&c, &o).unwrap();
    }
}

fn opts(integrity_check: IntegrityCheck) -> StoreOptions {
    StoreOptions { integrity_check, ..StoreOptions::default() }
}

#[test]
fn an_unchanged_file_opens_without_the_whole_file_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    build(&path);
    {
        let store = Store::open(&path, &key(1)).unwrap();
        assert!(!store.integrity_checked_at_open(), "closed cleanly, stamped: no check");
        store.set_setting("locale", "fr-FR").unwrap();
    }
    // Commits and the close restamp the file.
    let store = Store::open(&path, &key(1)).unwrap();
    assert!(!store.integrity_checked_at_open());
    assert_eq!(store.setting("locale").unwrap().as_deref(), Some("fr-FR"));
    assert_eq!(store.list_passes().unwrap().len(), 30);
    drop(store);
    let forced = Store::open_with(&path, &key(1), opts(IntegrityCheck::Always)).unwrap();
    assert!(forced.integrity_checked_at_open());
}

/// A byte whose flip only redb's whole-file check notices: the file still opens unchecked.
fn silent_flip(path: &Path, scratch: &Path) -> usize {
    let original = std::fs::read(path).unwrap();
    (original.len() / 3..original.len())
        .step_by(61)
        .find(|&pos| {
            let mut bytes = original.clone();
            bytes[pos] ^= 0xff;
            std::fs::write(scratch, &bytes).unwrap();
            let _ = std::fs::remove_file(stamp_of(scratch));
            let full = Store::open_with(scratch, &key(1), opts(IntegrityCheck::Always));
            if !matches!(full, Err(StoreError::Corrupt(_))) {
                return false;
            }
            drop(full);
            std::fs::write(scratch, &bytes).unwrap();
            let unchecked = catch_unwind(AssertUnwindSafe(|| {
                Store::open_with(scratch, &key(1), opts(IntegrityCheck::Never)).is_ok()
            }));
            matches!(unchecked, Ok(true))
        })
        .expect("some flipped byte is caught by the whole-file check only")
}

#[test]
fn a_file_changed_elsewhere_is_checked_even_with_its_times_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    build(&path);
    let pos = silent_flip(&path, &dir.path().join("scratch.redb"));
    next_tick();
    // In place (same inode, same size), then the modification time put back: only the
    // status-change time, which no unprivileged call sets, still tells.
    let meta = std::fs::metadata(&path).unwrap();
    let mut bytes = [0u8; 1];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(&path).unwrap();
        f.seek(SeekFrom::Start(pos as u64)).unwrap();
        f.read_exact(&mut bytes).unwrap();
    }
    let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.seek(SeekFrom::Start(pos as u64)).unwrap();
    f.write_all(&[bytes[0] ^ 0xff]).unwrap();
    f.set_modified(meta.modified().unwrap()).unwrap();
    drop(f);
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!((after.len(), after.modified().unwrap()), (meta.len(), meta.modified().unwrap()));
    match Store::open(&path, &key(1)) {
        Err(StoreError::Corrupt(_)) => {}
        other => panic!("a file changed elsewhere opened unchecked: {other:?}"),
    }
}

#[test]
fn a_missing_forged_or_borrowed_stamp_means_a_full_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    build(&path);
    assert!(!checked(&path, 1));
    std::fs::remove_file(stamp_of(&path)).unwrap();
    assert!(checked(&path, 1), "no stamp");
    std::fs::write(stamp_of(&path), [0u8; 32]).unwrap();
    assert!(checked(&path, 1), "forged stamp");
    std::fs::write(stamp_of(&path), b"short").unwrap();
    assert!(checked(&path, 1), "truncated stamp");
    let mut long = std::fs::read(stamp_of(&path)).unwrap();
    long.resize(1 << 20, 0);
    std::fs::write(stamp_of(&path), long).unwrap();
    assert!(checked(&path, 1), "a valid stamp with bytes after it");
    assert!(!checked(&path, 1), "each open stamps the file again");
    // A copy carries its stamp along, but it is another file.
    let copy = dir.path().join("copy.redb");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(stamp_of(&path), stamp_of(&copy)).unwrap();
    assert!(checked(&copy, 1), "copied file");
    // Another store's valid stamp does not vouch for this one.
    next_tick();
    std::fs::copy(stamp_of(&copy), stamp_of(&path)).unwrap();
    assert!(checked(&path, 1), "stamp of another file");
}

#[test]
fn a_rekeyed_store_is_stamped_under_its_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    build(&path);
    Store::open(&path, &key(1)).unwrap().rekey(&key(2)).unwrap();
    assert!(!checked(&path, 2), "in-place rekey");
    Store::rekey_file(&path, &key(2), &key(3), StoreOptions::default()).unwrap();
    assert!(!checked(&path, 3), "rekey into a fresh file");
    // Nothing was lost on the way.
    let store = Store::open(&path, &key(3)).unwrap();
    assert_eq!(store.list_passes().unwrap().len(), 30);
}
