// What HceService.processCommandApdu and onDeactivated call: a process-wide gate in front of
// the core. It never blocks: no I/O, no Keystore, no UI thread hop. Until the wallet is open
// (direct boot before the first unlock, app still starting, root key lost) it answers defined
// status words from a pure function instead of touching the core.
package dev.hcewallet.sample.logic

import dev.hcewallet.DeactivationReason
import dev.hcewallet.HceBridge
import dev.hcewallet.Wallet

/** The core as the gate sees it (the real one is [WalletEngine]; tests may use a fake). */
interface ApduEngine {
    fun process(apdu: ByteArray): ByteArray
    fun deactivated(reason: DeactivationReason)
}

/** The opened wallet: APDUs through the JNI fast path, deactivation through UniFFI. */
class WalletEngine(private val wallet: Wallet) : ApduEngine {
    init {
        wallet.registerFastPath()
    }

    override fun process(apdu: ByteArray): ByteArray = HceBridge.processApdu(apdu)

    override fun deactivated(reason: DeactivationReason) = wallet.onDeactivated(reason)
}

/** Why there is no engine yet. */
enum class GateState {
    /** Starting, or the user has not unlocked since boot (credential storage sealed). */
    NOT_OPEN_YET,
    /** The wallet cannot open (root key lost, store damaged): a screen explains it. */
    UNAVAILABLE,
    OPEN,
}

object ApduGate {
    /** 9300: Smart Tap "device locked / unlock needed" (spec §12, K-reader). */
    const val SW_UNLOCK_NEEDED = 0x9300
    /** 6A82: SELECT "application not available". */
    const val SW_NOT_AVAILABLE = 0x6A82
    /** 6985: conditions of use not satisfied (a non-SELECT command while not open). */
    const val SW_CONDITIONS = 0x6985

    @Volatile private var engine: ApduEngine? = null
    @Volatile var state: GateState = GateState.NOT_OPEN_YET
        private set

    fun attach(e: ApduEngine) {
        engine = e
        state = GateState.OPEN
    }

    fun detach(newState: GateState) {
        require(newState != GateState.OPEN)
        state = newState
        engine = null
    }

    /** processCommandApdu: the core's answer, or the defined answer while not open. */
    fun process(apdu: ByteArray): ByteArray {
        val e = engine ?: return sw(notOpenAnswer(apdu, state))
        return e.process(apdu)
    }

    /** onDeactivated(reason): 0 = DEACTIVATION_LINK_LOSS, 1 = DEACTIVATION_DESELECTED. */
    fun deactivated(reason: Int) {
        val r = if (reason == 1) DeactivationReason.DESELECTED else DeactivationReason.LINK_LOSS
        engine?.deactivated(r)
    }

    /**
     * The status word while not open. A SELECT of a Smart Tap AID before the first unlock
     * answers 9300, so the terminal shows "unlock your phone" and the user's unlock opens
     * the wallet; every other SELECT (payment, or the wallet unavailable for good) answers
     * 6A82 so terminals move on; any other command 6985.
     */
    fun notOpenAnswer(apdu: ByteArray, state: GateState): Int {
        val aid = selectedAid(apdu) ?: return SW_CONDITIONS
        val smartTap = aid == Aids.SMART_TAP_OSE || aid == Aids.SMART_TAP_2
        return if (smartTap && state == GateState.NOT_OPEN_YET) SW_UNLOCK_NEEDED else SW_NOT_AVAILABLE
    }

    /** The AID of a SELECT by name (00 A4 04 xx Lc AID [Le]), upper-case hex, else null. */
    fun selectedAid(apdu: ByteArray): String? {
        if (apdu.size < 5) return null
        if (apdu[0].toInt() and 0xFC != 0x00 || apdu[1] != 0xA4.toByte() || apdu[2] != 0x04.toByte()) return null
        val lc = apdu[4].toInt() and 0xFF
        if (lc == 0 || apdu.size < 5 + lc) return null
        return Aids.hex(apdu.copyOfRange(5, 5 + lc))
    }

    fun sw(v: Int): ByteArray = byteArrayOf((v shr 8).toByte(), v.toByte())
}
