// Process start: open the wallet before the first tap needs it (a tap may cold-start the
// process), off the main thread. Before the user's first unlock since boot the
// credential-encrypted files are sealed: the wallet opens on ACTION_USER_UNLOCKED and until
// then HceService answers ApduGate's "not open" status words.
package dev.hcewallet.sample

import android.app.Application
import android.app.KeyguardManager
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.net.ConnectivityManager
import android.os.Handler
import android.os.Looper
import android.os.UserManager
import android.util.Log
import dev.hcewallet.DeviceEvent
import dev.hcewallet.LockedPolicy
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.key.KeystoreKeyWrapper
import dev.hcewallet.sample.logic.AidRegistrar
import dev.hcewallet.sample.logic.ChooserState
import dev.hcewallet.sample.logic.CredentialWatch
import dev.hcewallet.sample.logic.DemoBundleTransport
import dev.hcewallet.sample.logic.EventHub
import dev.hcewallet.sample.logic.FileBlobStore
import dev.hcewallet.sample.logic.FlagStore
import dev.hcewallet.sample.logic.HttpUrlTransport
import dev.hcewallet.sample.logic.RootKeyVault
import dev.hcewallet.sample.logic.SampleConfig
import dev.hcewallet.sample.logic.TokenScreen
import dev.hcewallet.sample.logic.UiContextTracker
import dev.hcewallet.sample.logic.VerifyToPay
import dev.hcewallet.sample.logic.WalletOpener
import dev.hcewallet.sample.logic.WalletSession
import dev.hcewallet.sample.nfc.NfcSetup
import dev.hcewallet.sample.sync.NetworkSync
import dev.hcewallet.sample.sync.SyncJobService
import dev.hcewallet.sample.ui.Notifications
import java.io.File
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

class SampleApp : Application() {
    companion object {
        const val TAG = "hce-sample"
        lateinit var instance: SampleApp
            private set
    }

    /** One worker for everything that may block: Keystore, store I/O, key sync. */
    val io: ExecutorService = Executors.newSingleThreadExecutor { r -> Thread(r, "wallet-io") }
    val main = Handler(Looper.getMainLooper())
    val chooser = ChooserState(SampleConfig.CHOOSER_WINDOW_MS)
    lateinit var events: EventHub
        private set
    lateinit var session: WalletSession
        private set
    val uiContext = UiContextTracker { c -> session.wallet?.setUiContext(c) }
    /** "Verify, then tap within N s" (the pay screen). */
    val verify = VerifyToPay(SampleConfig.VERIFY_WINDOW_MS)
    lateinit var aids: AidRegistrar
        private set
    private lateinit var credential: CredentialWatch

    override fun onCreate() {
        super.onCreate()
        instance = this
        Notifications.createChannels(this)
        aids = AidRegistrar(NfcSetup.routing(this)) { line -> Log.i(TAG, line) }
        events = EventHub(chooser, Notifications.Sink(this), aids, ::cardName) { r -> main.post(r) }
        credential = CredentialWatch(prefsFlag("device_secure")) { e ->
            (session.wallet ?: throw IllegalStateException("wallet not open")).onDeviceEvent(e)
        }
        session = WalletSession(::opener)
        session.watch { s -> Log.i(TAG, "wallet: ${s.javaClass.simpleName}") }
        watchScreenLock()
        val um = service<UserManager>()
        if (um.isUserUnlocked) openAsync()
        else registerReceiver(object : BroadcastReceiver() {
            override fun onReceive(c: Context, i: Intent) {
                unregisterReceiver(this)
                openAsync()
            }
        }, IntentFilter(Intent.ACTION_USER_UNLOCKED))
    }

    fun lockedPolicy(): LockedPolicy =
        if (getSharedPreferences("settings", MODE_PRIVATE).getBoolean("passes_on_lock_screen", false)) LockedPolicy.ALLOW
        else LockedPolicy.REQUIRE_UNLOCK

    private fun opener(): WalletOpener {
        val dir = File(filesDir, "wallet")
        val vault = RootKeyVault(KeystoreKeyWrapper(this), FileBlobStore(File(dir, SampleConfig.WRAPPED_KEY_FILE)))
        val cm = service<ConnectivityManager>()
        val network = HttpUrlTransport(isOnline = { cm.activeNetwork != null })
        val transport = DemoBundleTransport(SampleConfig.DEMO_SYNC_URL, { assets.open("demo-key-bundle.cose").use { it.readBytes() } }, network)
        val roots = listOf(assets.open("bundle-root.pub.pem").use { String(it.readBytes()) })
        val tokenService = listOf(assets.open(SampleConfig.TOKEN_SERVICE_KEY_ASSET).use { String(it.readBytes()) })
        val config = SampleConfig.walletConfig(roots, SampleConfig.DEMO_SYNC_URL, lockedPolicy(), tokenService, SampleConfig.DEMO_DEVICE_ID)
        return WalletOpener(vault, File(dir, SampleConfig.STORE_FILE)) { path, key ->
            Wallet.open(path, key, config, events, transport)
        }
    }

    fun openAsync(then: (() -> Unit)? = null) = io.execute {
        val wasOpen = session.state is WalletSession.State.Open
        if (session.open() is WalletSession.State.Open && !wasOpen) afterOpen()
        then?.let { main.post(it) }
    }

    fun startOverAsync(then: () -> Unit) = io.execute {
        if (session.startOver() is WalletSession.State.Open) afterOpen()
        main.post(then)
    }

    private fun afterOpen() {
        uiContext.resend()
        // Run-time AID groups: the wallet's set now; AidSetChanged events keep them current.
        session.wallet?.let { w ->
            try { aids.apply(w.aidSet()) } catch (e: WalletException) { Log.w(TAG, "aidSet: ${e.message}") }
        }
        checkCredential()
        NetworkSync.register(this)
        SyncJobService.schedule(this)
    }

    /**
     * A token's name for notifications ("UP CREDIT ···· 0008"); null when it is gone. Runs in
     * EventHub's posted task (main looper, after the tap answered): one small store read. A
     * product with many cards would keep the names in memory instead.
     */
    private fun cardName(tokenRef: String): String? = try {
        session.wallet?.tokens()?.firstOrNull { it.tokenRef == tokenRef }?.let(TokenScreen::title)
    } catch (e: WalletException) { null }

    /**
     * Screen lock removed or set since the last look (every screen's onResume, and after
     * open): the wallet suspends or resumes the cards (CredentialWatch). On the worker.
     */
    fun checkCredential() = io.execute {
        if (session.wallet == null) return@execute
        try {
            credential.check(service<KeyguardManager>().isDeviceSecure)?.let { Log.i(TAG, "device event $it") }
        } catch (e: Exception) {
            Log.w(TAG, "device credential change not reported yet: ${e.message}")
        }
    }

    /** Sign-out: the wallet deletes every card (payment spec §12.3). Blocking. */
    fun signOut() = session.wallet?.onDeviceEvent(DeviceEvent.SIGNED_OUT)

    private fun prefsFlag(name: String) = object : FlagStore {
        private val prefs get() = getSharedPreferences("device", MODE_PRIVATE)
        override fun get(): Boolean? = if (prefs.contains(name)) prefs.getBoolean(name, false) else null
        override fun set(value: Boolean) { prefs.edit().putBoolean(name, value).apply() }
    }

    /** Screen off / keyguard up → UiContext.LOCKED; unlocked → back to the screen's context. */
    private fun watchScreenLock() {
        val km = service<KeyguardManager>()
        uiContext.locked(km.isKeyguardLocked)
        val filter = IntentFilter().apply {
            addAction(Intent.ACTION_SCREEN_OFF)
            addAction(Intent.ACTION_SCREEN_ON)
            addAction(Intent.ACTION_USER_PRESENT)
        }
        registerReceiver(object : BroadcastReceiver() {
            override fun onReceive(c: Context, i: Intent) {
                uiContext.locked(if (i.action == Intent.ACTION_USER_PRESENT) false else km.isKeyguardLocked)
            }
        }, filter)
    }
}
