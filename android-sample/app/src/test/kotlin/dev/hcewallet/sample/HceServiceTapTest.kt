// A whole Smart Tap tap through HceService.processCommandApdu, driven by the JDK-only
// terminal of bindings/kotlin-tests (on the classpath), on the desktop .so: the app's real
// wiring (WalletSession → ApduGate → JNI fast path; EventHub; chooser state; demo key sync).
package dev.hcewallet.sample

import dev.hcewallet.Wallet
import dev.hcewallet.SyncOutcome
import dev.hcewallet.UiContext
import dev.hcewallet.sample.logic.ApduGate
import dev.hcewallet.sample.logic.ChooserState
import dev.hcewallet.sample.logic.DemoBundleTransport
import dev.hcewallet.sample.logic.EventHub
import dev.hcewallet.sample.logic.EventSink
import dev.hcewallet.sample.logic.FileBlobStore
import dev.hcewallet.sample.logic.GateState
import dev.hcewallet.sample.logic.HttpUrlTransport
import dev.hcewallet.sample.logic.PaymentNotice
import dev.hcewallet.sample.logic.RootKeyVault
import dev.hcewallet.sample.logic.SampleConfig
import dev.hcewallet.sample.logic.UiContextTracker
import dev.hcewallet.sample.logic.WalletOpener
import dev.hcewallet.sample.logic.WalletSession
import dev.hcewallet.sample.nfc.HceService
import dev.hcewallet.tests.TapOutcome
import dev.hcewallet.tests.Vectors
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File

class RecordingSink : EventSink {
    val calls = java.util.Collections.synchronizedList(ArrayList<String>())
    override fun showChooser(candidates: List<String>) { calls += "chooser:${candidates.sorted()}" }
    override fun cancelChooser() { calls += "cancel" }
    override fun showUnlockNeeded() { calls += "unlock" }
    override fun tapResult(line: String) { calls += "result:$line" }
    override fun changed() { calls += "changed" }
    override fun payment(notice: PaymentNotice) { calls += "payment:${notice.kind}:${notice.title}: ${notice.text}" }
}

class HceServiceTapTest {
    companion object {
        const val ISSUER = "3265320111641956183"

        /**
         * HostApduService's constructor makes a Handler (a Looper: native code on the
         * desktop). HceService keeps no state of its own, so the test allocates it without
         * running constructors and calls the two methods the NFC stack calls.
         */
        fun service(): HceService {
            val f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe").apply { isAccessible = true }
            val unsafe = f.get(null)
            return unsafe.javaClass.getMethod("allocateInstance", Class::class.java).invoke(unsafe, HceService::class.java) as HceService
        }
    }

    private var wallet: Wallet? = null

    @After
    fun close() {
        wallet?.close()
        ApduGate.detach(GateState.NOT_OPEN_YET)
    }

    private val sink = RecordingSink()
    private val chooser = ChooserState(SampleConfig.CHOOSER_WINDOW_MS)
    private val events = EventHub(chooser, sink) { it.run() }

    /** The app's own opener, with the in-memory key provider and the demo key transport. */
    private fun session(): WalletSession {
        val dir = Dirs.temp("hce-tap")
        val assets = File(Dirs.app, "src/main/assets")
        val transport = DemoBundleTransport(SampleConfig.DEMO_SYNC_URL, { File(assets, "demo-key-bundle.cose").readBytes() }, HttpUrlTransport())
        val config = SampleConfig.walletConfig(listOf(File(assets, "bundle-root.pub.pem").readText()), SampleConfig.DEMO_SYNC_URL, dev.hcewallet.LockedPolicy.REQUIRE_UNLOCK)
        val vault = RootKeyVault(InMemoryKeyWrapper(), FileBlobStore(File(dir, SampleConfig.WRAPPED_KEY_FILE)))
        return WalletSession { WalletOpener(vault, File(dir, SampleConfig.STORE_FILE)) { p, k -> Wallet.open(p, k, config, events, transport) } }
    }

    private fun tap(s: HceService) = Vectors.liveTerminal().tap { s.processCommandApdu(it, null) }.also { s.onDeactivated(0) }

    @Test
    fun beforeTheWalletIsOpenTheServiceAnswersDefinedStatusWords() {
        val s = service()
        assertEquals(GateState.NOT_OPEN_YET, ApduGate.state)
        assertEquals("9300", s.processCommandApdu("00A404000A4F53452E5641532E303100".hex(), null).toHex())
        assertEquals("9300", s.processCommandApdu("00A4040009A000000476D000011100".hex(), null).toHex())
        assertEquals("6A82", s.processCommandApdu("00A404000E325041592E5359532E444446303100".hex(), null).toHex())
        assertEquals("6985", s.processCommandApdu("80CA000000".hex(), null).toHex())
        assertEquals("6985", s.processCommandApdu(ByteArray(0), null).toHex())
        s.onDeactivated(0) // no wallet: nothing to tell, no crash
        val r = Vectors.liveTerminal().tap { s.processCommandApdu(it, null) }
        assertEquals(TapOutcome.Ended("SELECT OSE", 0x9300).sw, (r.outcome as TapOutcome.Ended).sw)
    }

    @Test
    fun aWholeTapThroughProcessCommandApdu() {
        val session = session()
        val open = session.open() as WalletSession.State.Open
        val w = open.wallet.also { wallet = it }
        w.importPassJson(File(Dirs.app, "src/main/assets/demo-pass.json").readText())
        assertEquals(SyncOutcome.Updated(1uL, 1u), w.syncNow())
        val ui = UiContextTracker { w.setUiContext(it) }
        ui.screen(UiContextTracker.Screen.Home)
        val s = service()
        val r = tap(s)
        val pass = r.outcome as? TapOutcome.PassRead ?: error("${r.outcome}")
        assertEquals("SAMPLE-1234", pass.redemptionValue)
        assertEquals(ISSUER.toLong(), pass.issuerId)
        assertTrue(sink.calls.toString(), sink.calls.any { it.startsWith("result:sent $ISSUER.sample-1") })
        assertTrue(w.activity(20u).any { it.kind == "tap.sent" })
        // Locked: 9300 and the "unlock" notification.
        ui.locked(true)
        assertEquals(0x9300, (tap(s).outcome as TapOutcome.Ended).sw)
        assertTrue(sink.calls.contains("unlock"))
        ui.locked(false)
        assertEquals(UiContext.Home, ui.current())
    }

    @Test
    fun theChooserNotificationPickerAndRetap() {
        val w = (session().open() as WalletSession.State.Open).wallet.also { wallet = it }
        val json = File(Dirs.app, "src/main/assets/demo-pass.json").readText()
        w.importPassJson(json)
        w.importPassJson(json.replace("sample-1\"", "sample-2\"").replace("SAMPLE-1234", "SAMPLE-5678"))
        assertEquals(2, w.listPasses().size)
        w.syncNow()
        w.setUiContext(UiContext.Home)
        val s = service()
        assertEquals(0x9302, (tap(s).outcome as TapOutcome.Ended).sw)
        assertTrue(sink.calls.toString(), sink.calls.contains("chooser:[$ISSUER.sample-1, $ISSUER.sample-2]"))
        val q = chooser.pending()!!
        assertEquals(Vectors.collectorId.toUInt(), q.collectorId)
        chooser.pick("$ISSUER.sample-2") { w.choosePass(it) }
        assertEquals("SAMPLE-5678", (tap(s).outcome as TapOutcome.PassRead).redemptionValue)
        assertTrue(sink.calls.contains("cancel"))
        assertEquals(null, chooser.chosen())
        // A pass open in the app is sent without asking.
        w.setUiContext(UiContext.PassOpen("$ISSUER.sample-1"))
        assertEquals("SAMPLE-1234", (tap(s).outcome as TapOutcome.PassRead).redemptionValue)
    }
}
