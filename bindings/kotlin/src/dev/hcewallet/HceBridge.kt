// The JNI fast path for HostApduService.processCommandApdu: one direct native call per APDU,
// without JNA's marshalling. It answers from the wallet registered with
// `Wallet.registerFastPath()` — the same instance the UniFFI API manages, so both paths
// give identical answers. With no wallet registered it answers 6A82.
package dev.hcewallet

object HceBridge {
    init {
        System.loadLibrary("hce_wallet_ffi")
    }

    /** Answers one command APDU with `data ‖ SW`. Never throws for bad input. */
    external fun processApdu(apdu: ByteArray): ByteArray

    /** Routes [processApdu] to [wallet] (convenience for `wallet.registerFastPath()`). */
    fun attach(wallet: Wallet) = wallet.registerFastPath()
}
