//! A wallet that answers every tap exactly as `shared/vectors/smart-tap/e2e-loyalty-2018.*`
//! says: the core's Smart Tap applet with the vector's collector key, its one loyalty pass,
//! and the vector's handset randomness (nonce, ephemeral key, GET DATA IV) replayed on
//! every tap. It lets a transport test (`make test-vpcd`) check the vector's R-APDUs byte
//! for byte through a real PC/SC stack. Test material only: the randomness is public.

use std::path::Path;
use std::sync::Arc;

use hce_wallet_core::ports::{
    CollectorId, FixedClock, IssuerKeyRing, NoEvents, PassSource, PassType, RandomSource,
    Selection, SelectionRequest, SmartTapPass,
};
use hce_wallet_core::router::Router;
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;
use p256::pkcs8::DecodePublicKey;
use serde_json::Value;
use zeroize::Zeroizing;

/// The vector's files, relative to the shared directory.
pub const JSON: &str = "vectors/smart-tap/e2e-loyalty-2018.json";
pub const PUBLIC_KEY: &str = "vectors/smart-tap/collector-20180608-v1.public.pem";

/// Why the vector wallet could not be built.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("{path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("vector field {0} is missing or malformed")]
    Field(&'static str),
}

/// Draws by length: 32-byte draws alternate nonce / ephemeral scalar (what arming the
/// applet asks for), 12-byte draws are the GET DATA IV, anything else is zeros.
struct VectorRandom {
    nonce: Vec<u8>,
    scalar: Zeroizing<Vec<u8>>,
    iv: Vec<u8>,
    next_is_scalar: bool,
}

impl RandomSource for VectorRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        let source: &[u8] = match buf.len() {
            32 if self.next_is_scalar => &self.scalar,
            32 => &self.nonce,
            12 => &self.iv,
            _ => &[],
        };
        if buf.len() == 32 {
            self.next_is_scalar = !self.next_is_scalar;
        }
        buf.fill(0);
        for (b, s) in buf.iter_mut().zip(source) {
            *b = *s;
        }
    }
}

struct VectorKeys(CollectorId, u32, p256::PublicKey);

impl IssuerKeyRing for VectorKeys {
    fn collector_key(&self, c: CollectorId, v: u32, _now: Timestamp) -> Option<p256::PublicKey> {
        (c == self.0 && v == self.1).then_some(self.2)
    }
}

struct VectorPass(CollectorId, SmartTapPass);

impl PassSource for VectorPass {
    fn could_redeem(&self, collector: CollectorId, _now: Timestamp) -> bool {
        collector == self.0
    }
    fn select(&self, request: &SelectionRequest) -> Selection {
        if request.collector == self.0 && self.1.pass_type.requested_by(&request.service_types) {
            Selection::Send(self.1.clone())
        } else {
            Selection::NothingEligible
        }
    }
}

fn read(shared: &Path, file: &str) -> Result<String, VectorError> {
    let path = shared.join(file);
    std::fs::read_to_string(&path)
        .map_err(|source| VectorError::Read { path: path.display().to_string(), source })
}

fn field<'a>(v: &'a Value, pointer: &'static str) -> Result<&'a Value, VectorError> {
    v.pointer(pointer).ok_or(VectorError::Field(pointer))
}

fn hex_field(v: &Value, pointer: &'static str) -> Result<Vec<u8>, VectorError> {
    let text = field(v, pointer)?.as_str().ok_or(VectorError::Field(pointer))?;
    hex::decode(text).map_err(|_| VectorError::Field(pointer))
}

fn u64_field(v: &Value, pointer: &'static str) -> Result<u64, VectorError> {
    let value = field(v, pointer)?;
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .ok_or(VectorError::Field(pointer))
}

/// A router holding the vector wallet; `shared` is the project's shared directory.
pub fn router(shared: &Path) -> Result<Router, VectorError> {
    let v: Value = serde_json::from_str(&read(shared, JSON)?)
        .map_err(|_| VectorError::Field("(the whole file)"))?;
    let key = p256::PublicKey::from_public_key_pem(&read(shared, PUBLIC_KEY)?)
        .map_err(|_| VectorError::Field("collector public key PEM"))?;
    let collector = u64_field(&v, "/collector/collector_id_decimal")?;
    let collector = CollectorId(
        u32::try_from(collector)
            .map_err(|_| VectorError::Field("/collector/collector_id_decimal"))?,
    );
    let version = u32::try_from(u64_field(&v, "/collector/key_version")?)
        .map_err(|_| VectorError::Field("/collector/key_version"))?;
    let pass = SmartTapPass {
        object_id: field(&v, "/pass/object_id")?
            .as_str()
            .ok_or(VectorError::Field("/pass/object_id"))?
            .to_owned(),
        issuer_id: u64_field(&v, "/pass/issuer_id_decimal")?,
        pass_type: PassType::Loyalty,
        redemption_value: Zeroizing::new(
            field(&v, "/pass/smartTapRedemptionValue")?
                .as_str()
                .ok_or(VectorError::Field("/pass/smartTapRedemptionValue"))?
                .to_owned(),
        ),
    };
    let random = VectorRandom {
        nonce: hex_field(&v, "/handset/nonce_hex")?,
        scalar: Zeroizing::new(hex_field(&v, "/handset/ephemeral_private_key_hex")?),
        iv: hex_field(&v, "/get_data/variants/0/iv_hex")?,
        next_is_scalar: false,
    };
    let ports = SmartTapPorts {
        key_ring: Arc::new(VectorKeys(collector, version, key)),
        passes: Arc::new(VectorPass(collector, pass)),
        push: None,
        events: Arc::new(NoEvents),
        random: Box::new(random),
        clock: Arc::new(FixedClock(Timestamp(0))),
        payment: None,
    };
    let applet = SmartTapApplet::new(ports, SmartTapConfig::default())
        .map_err(|_| VectorError::Field("(applet configuration)"))?;
    let mut router = Router::new();
    router.register(Box::new(applet));
    Ok(router)
}
