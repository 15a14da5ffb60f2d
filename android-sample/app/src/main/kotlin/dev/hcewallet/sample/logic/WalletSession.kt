// The process-wide wallet: opened once (on a worker thread, never the HCE or UI thread),
// attached to ApduGate for HceService, closed never while the process lives. The Android
// glue (SampleApp) supplies the opener and the executor; tests supply their own.
package dev.hcewallet.sample.logic

import dev.hcewallet.LockedPolicy
import dev.hcewallet.Wallet
import dev.hcewallet.WalletConfig

object SampleConfig {
    /** Demo key sync: answered from assets by DemoBundleTransport (no server needed). */
    const val DEMO_SYNC_URL = "https://keys.example.invalid/bundle.cose"
    const val CHOOSER_WINDOW_MS = 60_000L
    const val STORE_FILE = "wallet.redb"
    const val WRAPPED_KEY_FILE = "root-key.wrapped"
    const val SYNC_JOB_ID = 16
    const val SYNC_PERIOD_MS = 6 * 60 * 60 * 1000L
    /** "Verify, then tap within 30 s". */
    const val VERIFY_WINDOW_MS = 30_000L
    /**
     * Demo token service: its public key (assets) and this device's id at it — the device the
     * signed test payloads of bindings/kotlin-tests/fixtures are bound to, so those files can
     * be imported on a phone. A product gets both from its token service at registration.
     */
    const val TOKEN_SERVICE_KEY_ASSET = "token-service.pub.pem"
    const val DEMO_DEVICE_ID = "kotlin-device-1"
    /**
     * The token service's base URL (token sync: the user's requests, the status feed, key
     * top-ups; docs/token-sync.md). The demo has none — its cards come from signed files —
     * so requests stay queued; a product sets its service here.
     */
    @Volatile var tokenServiceUrl: String? = null

    fun walletConfig(
        pinnedRootsPem: List<String>,
        syncUrl: String?,
        lockedPolicy: LockedPolicy,
        tokenServicePem: List<String> = emptyList(),
        deviceId: String? = null,
        tokenServiceUrl: String? = SampleConfig.tokenServiceUrl,
    ) = WalletConfig(
        pinnedBundleRoots = pinnedRootsPem,
        syncUrl = syncUrl,
        chooserWindowMs = CHOOSER_WINDOW_MS.toULong(),
        lockedPolicy = lockedPolicy,
        pinnedTokenServiceKeys = tokenServicePem,
        deviceId = deviceId,
        tokenServiceUrl = tokenServiceUrl,
    )
}

class WalletSession(private val opener: () -> WalletOpener) {
    sealed class State {
        object Closed : State()
        object Opening : State()
        class Open(val wallet: Wallet) : State()
        class LostKey(val reason: String) : State()
        class Failed(val message: String) : State()
    }

    @Volatile var state: State = State.Closed
        private set
    private val watchers = java.util.concurrent.CopyOnWriteArrayList<(State) -> Unit>()

    fun watch(w: (State) -> Unit) { watchers.add(w); w(state) }
    fun unwatch(w: (State) -> Unit) { watchers.remove(w) }

    val wallet: Wallet? get() = (state as? State.Open)?.wallet

    /** Blocking (Keystore + store I/O): call on a worker. */
    @Synchronized
    fun open(): State {
        (state as? State.Open)?.let { return it }
        set(State.Opening)
        return settle(opener().open())
    }

    /** The lost-key screen's "start over": deletes the unreadable store. Blocking. */
    @Synchronized
    fun startOver(): State {
        set(State.Opening)
        return settle(opener().startOver())
    }

    private fun settle(r: OpenResult): State {
        val s = when (r) {
            is OpenResult.Opened -> State.Open(r.wallet).also { ApduGate.attach(WalletEngine(r.wallet)) }
            is OpenResult.LostKey -> State.LostKey(r.reason).also { ApduGate.detach(GateState.UNAVAILABLE) }
            is OpenResult.Failed -> State.Failed(r.error.message ?: r.error.javaClass.simpleName)
                .also { ApduGate.detach(GateState.UNAVAILABLE) }
        }
        set(s)
        return s
    }

    private fun set(s: State) {
        state = s
        watchers.forEach { it(s) }
    }
}
