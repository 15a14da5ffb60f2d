//! Builders shared by the store's integration tests.
#![allow(dead_code)]

use hce_wallet_core::ports::PassType;
use hce_wallet_store::{
    CollectorKeyRecord, IssuerKeys, ObjectState, PassClassRecord, PassObjectRecord, RootKey,
    SecretString,
};

pub const ISSUER: u64 = 3265320111641956183;
pub const COLLECTOR: u32 = 20180608;

pub fn key(n: u8) -> RootKey {
    RootKey::from_bytes([n; 32])
}

pub fn class(id: &str, redemption_issuers: Vec<u64>) -> PassClassRecord {
    PassClassRecord {
        class_id: id.to_string(),
        issuer_id: ISSUER,
        pass_type: PassType::Loyalty,
        smart_tap_enabled: true,
        redemption_issuers,
        display: None,
        objects: Vec::new(),
        model: None,
    }
}

pub fn object(class_id: &str, id: &str, value: &str) -> PassObjectRecord {
    PassObjectRecord {
        object_id: id.to_string(),
        class_id: class_id.to_string(),
        state: ObjectState::Active,
        redemption_value: Some(SecretString::new(value)),
        valid_from: None,
        valid_until: None,
        smart_tap_disabled: false,
        last_push: None,
        display: None,
        model: None,
    }
}

/// A P-256 public key (SEC1) from a fixed scalar.
pub fn sec1(seed: u8) -> Vec<u8> {
    let sk = p256::SecretKey::from_slice(&[seed.max(1); 32]).unwrap();
    sk.public_key().to_sec1_bytes().to_vec()
}

pub fn issuer_keys(issuer: u64, collector: u32, versions: &[u32], seed: u8) -> IssuerKeys {
    IssuerKeys {
        issuer_id: issuer,
        name: format!("issuer {issuer}"),
        collectors: vec![collector],
        keys: versions
            .iter()
            .map(|&v| CollectorKeyRecord {
                collector,
                key_version: v,
                issuer_id: issuer,
                public_key_sec1: sec1(seed.wrapping_add(v as u8)),
                valid_from: None,
                valid_until: None,
            })
            .collect(),
    }
}

/// A class `c{n}` of issuer `issuer` with `per_class` objects `c{n}.o{i}` valued `v{n}.{i}`.
pub fn batch(n: usize, per_class: usize, issuer: u64) -> (PassClassRecord, Vec<PassObjectRecord>) {
    let cid = format!("{issuer}.c{n}");
    let objects = (0..per_class)
        .map(|i| object(&cid, &format!("{cid}.o{i}"), &format!("v{n}.{i}")))
        .collect();
    (class(&cid, vec![issuer]), objects)
}
