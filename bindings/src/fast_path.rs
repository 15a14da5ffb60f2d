//! The JNI fast path for the per-APDU call: Kotlin `object HceBridge { external fun
//! processApdu(apdu: ByteArray): ByteArray }`, bound with the `jni` crate to the wallet
//! registered by `Wallet.registerFastPath()`. The HostApduService thread then skips JNA's
//! marshalling; both paths call the same `hce_wallet::Wallet::process_apdu`, so they give
//! identical answers (tested from Kotlin).
//!
//! No Rust panic reaches the JVM: `EnvUnowned::with_env` catches it and the wallet's
//! router answers `6F00` for a bug inside an applet. With no wallet registered every
//! APDU gets `6A82` (file or application not found), as for an unregistered AID.
#![allow(unsafe_code)] // `#[unsafe(no_mangle)]` exports for the JVM's symbol lookup.

use std::sync::{Arc, PoisonError, RwLock};

use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JByteArray, JObject};
use jni::EnvUnowned;

/// `6A82`: what an HCE service answers when it has nothing for the terminal.
const SW_NOT_FOUND: [u8; 2] = [0x6A, 0x82];

static REGISTERED: RwLock<Option<Arc<hce_wallet::Wallet>>> = RwLock::new(None);

pub(crate) fn register(wallet: Arc<hce_wallet::Wallet>) {
    *REGISTERED.write().unwrap_or_else(PoisonError::into_inner) = Some(wallet);
}

/// Unregisters `wallet` if it is the registered one (`None`: whichever is).
pub(crate) fn unregister(wallet: Option<&Arc<hce_wallet::Wallet>>) {
    let mut slot = REGISTERED.write().unwrap_or_else(PoisonError::into_inner);
    if wallet.is_none_or(|w| slot.as_ref().is_some_and(|r| Arc::ptr_eq(r, w))) {
        *slot = None;
    }
}

fn registered() -> Option<Arc<hce_wallet::Wallet>> {
    REGISTERED.read().unwrap_or_else(PoisonError::into_inner).clone()
}

pub(crate) fn process(apdu: &[u8]) -> Vec<u8> {
    match registered() {
        Some(wallet) => wallet.process_apdu(apdu),
        None => {
            log::warn!("APDU on the JNI fast path with no wallet registered");
            SW_NOT_FOUND.to_vec()
        }
    }
}

/// `dev.hcewallet.HceBridge.processApdu(ByteArray): ByteArray`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_hcewallet_HceBridge_processApdu<'caller>(
    mut env: EnvUnowned<'caller>,
    _this: JObject<'caller>,
    apdu: JByteArray<'caller>,
) -> JByteArray<'caller> {
    env.with_env(|env| -> jni::errors::Result<JByteArray<'caller>> {
        let command = env.convert_byte_array(&apdu)?;
        env.byte_array_from_slice(&process(&command))
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// The bench's floor: a JNI call with the same signature that does no work
/// (`dev.hcewallet.tests.JniBench.emptyCall`), built only with `test-hooks`.
#[cfg(feature = "test-hooks")]
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_hcewallet_tests_JniBench_emptyCall<'caller>(
    mut env: EnvUnowned<'caller>,
    _this: JObject<'caller>,
    apdu: JByteArray<'caller>,
) -> JByteArray<'caller> {
    env.with_env(|env| -> jni::errors::Result<JByteArray<'caller>> {
        let command = env.convert_byte_array(&apdu)?;
        env.byte_array_from_slice(&command[command.len().saturating_sub(2)..])
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}
