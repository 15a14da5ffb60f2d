//! The DOL parser and splitter (payment spec §5) on hostile bytes: the first byte splits
//! the input into a DOL and terminal data. Parsing never panics; an accepted DOL
//! re-encodes to an equal DOL, splits data of exactly its total length and refuses any
//! other length; every listed value comes back with its listed length.
#![no_main]

use hce_wallet_core::payment::dol::{tags, Dol};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else { return };
    let (dol_bytes, values) = rest.split_at(usize::from(cut).min(rest.len()));
    let Ok(dol) = Dol::parse(dol_bytes) else { return };
    assert_eq!(Dol::parse(&dol.encode()).as_ref(), Ok(&dol));
    match dol.split(values) {
        Ok(split) => {
            assert_eq!(values.len(), dol.total_len());
            for &(tag, len) in dol.entries() {
                assert_eq!(split.get(tag).map(<[u8]>::len), Some(len));
            }
            assert_eq!(split.raw(), values);
        }
        Err(_) => assert_ne!(values.len(), dol.total_len()),
    }
    let filled = dol.fill(|_| Some(values), tags::is_numeric);
    assert_eq!(filled.len(), dol.total_len());
    assert!(dol.zeros().raw().iter().all(|&b| b == 0));
});
