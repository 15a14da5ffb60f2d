//! Shared test material: the signed key bundle fixture the Kotlin tests also serve, the
//! demo loyalty pass, an in-process HTTP transport and an event recorder.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hce_wallet::{
    HttpRequest, HttpResponse, HttpTransport, Notice, TransportError, WalletListener,
};
use hce_wallet_core::key_bundle::{sign, CollectorEntry, IssuerEntry, KeyBundle, KeyEntry};
use hce_wallet_core::ports::CollectorId;
use hce_wallet_core::time::Timestamp;
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePublicKey, LineEnding};
use p256::PublicKey;
use sha2::{Digest, Sha256};

/// Google's demo issuer from the e2e vector, and its test collector 20180608 key v1.
pub const DEMO_ISSUER: u64 = 3_265_320_111_641_956_183;
pub const DEMO_COLLECTOR: u32 = 20_180_608;
pub const COLLECTOR_PUB_V1: &str =
    "04721c978fcebdcdf98a8518bdc4fedfd802b4ee4128e2513b665593375e238786014e7cbe8511915dc5337af57dcd248f2653c7a6aaaee6913096fd71c85bc4d7";

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../bindings/kotlin-tests/fixtures"))
}

/// The operator root that signs the fixture bundle (test-only: its scalar is public).
pub fn bundle_root() -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(b"hce-wallet test bundle root (test only)")).unwrap()
}

pub fn bundle_root_pem() -> String {
    PublicKey::from(bundle_root().verifying_key()).to_public_key_pem(LineEnding::LF).unwrap()
}

/// Bundle sequence 1: the demo issuer owns collector 20180608 with key version 1, valid
/// 2020–2040; the bundle itself expires in 2040.
pub fn demo_bundle() -> Vec<u8> {
    let key = PublicKey::from_sec1_bytes(&hex::decode(COLLECTOR_PUB_V1).unwrap()).unwrap();
    let bundle = KeyBundle {
        sequence: 1,
        issued_at: Timestamp::from_secs(1_790_000_000),
        expires_at: Timestamp::from_secs(2_208_988_800),
        issuers: vec![IssuerEntry {
            issuer_id: DEMO_ISSUER,
            collectors: vec![CollectorEntry {
                collector_id: CollectorId(DEMO_COLLECTOR),
                keys: vec![KeyEntry {
                    version: 1,
                    public_key: key,
                    not_before: Timestamp::from_secs(1_577_836_800),
                    not_after: Timestamp::from_secs(2_208_988_800),
                }],
            }],
        }],
    };
    sign(&bundle, &bundle_root()).unwrap()
}

/// A loyalty class redeemable by the demo issuer and `n` objects with the given values.
pub fn loyalty_json(values: &[(&str, &str)]) -> String {
    let objects: Vec<String> = values
        .iter()
        .map(|(suffix, value)| {
            format!(
                r#"{{"id":"{DEMO_ISSUER}.{suffix}","classId":"{DEMO_ISSUER}.demo-class","state":"ACTIVE","smartTapRedemptionValue":"{value}","barcode":{{"type":"QR_CODE","value":"bc-{suffix}"}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"loyaltyClasses":[{{"id":"{DEMO_ISSUER}.demo-class","issuerName":"Demo Issuer","programName":"Demo Rewards","reviewStatus":"UNDER_REVIEW","enableSmartTap":true,"redemptionIssuers":["{DEMO_ISSUER}"]}}],"loyaltyObjects":[{}]}}"#,
        objects.join(",")
    )
}

/// Serves one body at one URL, counting requests; anything else is 404.
pub struct OneFile {
    pub url: String,
    pub body: Mutex<Vec<u8>>,
    pub requests: Mutex<Vec<HttpRequest>>,
}

impl OneFile {
    pub fn new(url: &str, body: Vec<u8>) -> Arc<OneFile> {
        Arc::new(OneFile { url: url.into(), body: Mutex::new(body), requests: Mutex::new(vec![]) })
    }
}

impl HttpTransport for OneFile {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests.lock().unwrap().push(request.clone());
        if request.url != self.url {
            return Ok(HttpResponse { status: 404, headers: vec![], body: vec![] });
        }
        Ok(HttpResponse {
            status: 200,
            headers: vec![("ETag".into(), "\"v1\"".into())],
            body: self.body.lock().unwrap().clone(),
        })
    }
}

#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Notice>>);
impl WalletListener for Recorder {
    fn on_notice(&self, notice: Notice) {
        self.0.lock().unwrap().push(notice);
    }
}
