package dev.hcewallet.tests

import dev.hcewallet.HttpTransport
import dev.hcewallet.LogLevel
import dev.hcewallet.LogSink
import dev.hcewallet.Wallet
import dev.hcewallet.WalletConfig
import dev.hcewallet.WalletEvent
import dev.hcewallet.WalletListener
import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import java.util.Collections

/** The bench's JNI floor: same signature as HceBridge.processApdu, no work (test-hooks build). */
object JniBench {
    init {
        System.loadLibrary("hce_wallet_ffi")
    }

    external fun emptyCall(apdu: ByteArray): ByteArray
}

class RecordingListener : WalletListener {
    val events: MutableList<WalletEvent> = Collections.synchronizedList(ArrayList())
    override fun onEvent(event: WalletEvent) {
        events.add(event)
    }
}

class CapturingLogSink : LogSink {
    val lines: MutableList<String> = Collections.synchronizedList(ArrayList())
    override fun log(level: LogLevel, target: String, message: String) {
        lines.add("$level $target $message")
    }
}

object Fixtures {
    fun tempDir(): File = Files.createTempDirectory("hce-wallet-kt").toFile().also { it.deleteOnExit() }

    fun rootKey(): ByteArray = ByteArray(32).also { SecureRandom().nextBytes(it) }

    fun openWallet(
        listener: WalletListener? = null,
        transport: HttpTransport? = null,
        config: WalletConfig = WalletConfig(lockedPolicy = dev.hcewallet.LockedPolicy.REQUIRE_UNLOCK),
        dir: File = tempDir(),
        rootKey: ByteArray = rootKey(),
        // A new wallet assumes Locked (fail-closed); most tests tap from the home screen.
        uiContext: dev.hcewallet.UiContext? = dev.hcewallet.UiContext.Home,
    ): Wallet = Wallet.open(File(dir, "wallet.redb").path, rootKey, config, listener, transport)
        .also { w -> uiContext?.let(w::setUiContext) }
}
