// The payment screens' logic on a real desktop wallet through the app's own wiring
// (WalletSession → ApduGate → JNI fast path, EventHub → notices and AidRegistrar): a signed
// fixture token imported as a shared file, paid for through HceService.processCommandApdu by
// the JDK-only EMV terminal of bindings/kotlin-tests (cryptograms verified with the issuer's
// keys), then report lost / resume / delete, verify-and-tap, screen-lock removal, sign-out.
package dev.hcewallet.sample

import dev.hcewallet.CdcvmMethod
import dev.hcewallet.DeviceEvent
import dev.hcewallet.LockedPolicy
import dev.hcewallet.TokenHold
import dev.hcewallet.TokenInfo
import dev.hcewallet.TokenRequestKind
import dev.hcewallet.TokenState
import dev.hcewallet.Wallet
import dev.hcewallet.sample.logic.AidRegistrar
import dev.hcewallet.sample.logic.AidRouting
import dev.hcewallet.sample.logic.Aids
import dev.hcewallet.sample.logic.ApduGate
import dev.hcewallet.sample.logic.ChooserState
import dev.hcewallet.sample.logic.CredentialWatch
import dev.hcewallet.sample.logic.DefaultPayment
import dev.hcewallet.sample.logic.EventHub
import dev.hcewallet.sample.logic.FileBlobStore
import dev.hcewallet.sample.logic.FlagStore
import dev.hcewallet.sample.logic.GateState
import dev.hcewallet.sample.logic.ImportFormatException
import dev.hcewallet.sample.logic.RootKeyVault
import dev.hcewallet.sample.logic.SampleConfig
import dev.hcewallet.sample.logic.TokenAction
import dev.hcewallet.sample.logic.TokenImport
import dev.hcewallet.sample.logic.TokenScreen
import dev.hcewallet.sample.logic.VerifyPrompt
import dev.hcewallet.sample.logic.VerifyToPay
import dev.hcewallet.sample.logic.WalletOpener
import dev.hcewallet.sample.logic.WalletSession
import dev.hcewallet.tests.EmvTerminal
import dev.hcewallet.tests.PayOutcome
import dev.hcewallet.tests.TokenFlowTest
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.io.File
import java.util.Base64

/** CardEmulation as the registrar sees it: records, and refuses on demand. */
class RecordingRouting : AidRouting {
    val calls = ArrayList<String>()
    val groups = HashMap<String, List<String>>()
    var refuse = false
    override fun register(category: String, aids: List<String>): Boolean {
        calls += "register $category $aids"
        if (refuse) return false
        groups[category] = aids
        return true
    }
    override fun remove(category: String): Boolean { calls += "remove $category"; groups.remove(category); return true }
}

class MemoryFlag(var value: Boolean? = null) : FlagStore {
    override fun get() = value
    override fun set(value: Boolean) { this.value = value }
}

class PaymentScreensTest {
    private val routing = RecordingRouting()
    private val registrar = AidRegistrar(routing)
    private val sink = RecordingSink()
    private var wallet: Wallet? = null
    private val events = EventHub(ChooserState(SampleConfig.CHOOSER_WINDOW_MS), sink, registrar, { ref ->
        wallet?.tokens()?.firstOrNull { it.tokenRef == ref }?.let(TokenScreen::title)
    }) { it.run() }
    private val service = HceServiceTapTest.service()

    @After
    fun close() {
        wallet?.close()
        ApduGate.detach(GateState.NOT_OPEN_YET)
    }

    private fun fixture(name: String) = File(Dirs.fixtures, name).readBytes()

    /** The app's opener with the app's demo token-service key and device id; then, as SampleApp.afterOpen, the AIDs. */
    private fun open(): Wallet {
        val dir = Dirs.temp("hce-pay")
        val assets = File(Dirs.app, "src/main/assets")
        val tokenService = File(assets, SampleConfig.TOKEN_SERVICE_KEY_ASSET).readText()
        val config = SampleConfig.walletConfig(emptyList(), null, LockedPolicy.REQUIRE_UNLOCK, listOf(tokenService), SampleConfig.DEMO_DEVICE_ID)
        val vault = RootKeyVault(InMemoryKeyWrapper(), FileBlobStore(File(dir, SampleConfig.WRAPPED_KEY_FILE)))
        val session = WalletSession { WalletOpener(vault, File(dir, SampleConfig.STORE_FILE)) { p, k -> Wallet.open(p, k, config, events, null) } }
        val w = (session.open() as WalletSession.State.Open).wallet
        wallet = w
        registrar.apply(w.aidSet())
        return w
    }

    private fun provision(w: Wallet): String =
        TokenImport.apply(w, TokenImport.recognise(fixture("token-provision.cose"))!!, deviceSecure = true)

    private fun terminal(cvmRequired: Boolean = false) =
        EmvTerminal({ service.processCommandApdu(it, null) }, TokenFlowTest.luks).also { if (cvmRequired) it.ttq[1] = 0x40 }

    private fun pay(t: EmvTerminal = terminal()): PayOutcome = t.tap().also { service.onDeactivated(0) }

    private fun paid(o: PayOutcome, atc: Int, cdcvm: Boolean = false) {
        val p = o as? PayOutcome.Paid ?: error("expected a payment, got $o")
        assertTrue("the cryptogram verifies with the issuer's key", p.verified)
        assertEquals(Aids.UNIONPAY_CREDIT, p.aid)
        assertEquals(atc, p.atc)
        assertEquals(cdcvm, p.cdcvm)
    }

    private val noCard = PayOutcome.Refused("SELECT PPSE", 0x6A82)

    private fun only(w: Wallet): TokenInfo = w.tokens().single()

    /** Payment notices recorded since the last call. */
    private fun notices(): List<String> = synchronized(sink.calls) {
        sink.calls.filter { it.startsWith("payment:") }.also { sink.calls.clear() }
    }

    private fun assertNotice(notices: List<String>, vararg words: String) =
        assertTrue("no notice with $words in $notices", notices.any { n -> words.all { n.contains(it) } })

    @Test
    fun provisionPayReportLostResumeDelete() {
        val w = open()
        assertEquals("the app registers the wallet's AIDs", mapOf(Aids.CATEGORY_PAYMENT to listOf(Aids.PPSE), Aids.CATEGORY_OTHER to Aids.STATIC[Aids.CATEGORY_OTHER]), routing.groups)
        assertEquals("No cards yet. Import a provisioning file from your bank.", TokenScreen.summary(w.tokens()))

        // Import: no screen lock, no card; then the card.
        val m = TokenImport.recognise(fixture("token-provision.cose"))!!
        try { TokenImport.apply(w, m, deviceSecure = false); fail() } catch (e: ImportFormatException) { assertTrue(e.message!!.contains("screen lock")) }
        assertTrue(w.tokens().isEmpty())
        assertEquals("Added UP CREDIT ···· 0008 (Ready to pay · default card)", provision(w))
        assertEquals("the token's AID is routed: what apduservice.xml declares statically", Aids.STATIC[Aids.CATEGORY_PAYMENT], routing.groups[Aids.CATEGORY_PAYMENT])
        val row = TokenScreen.row(only(w))
        assertEquals("UP CREDIT ···· 0008", row.title)
        assertEquals(listOf("Ready to pay · default card", "Expires 12/2030", "3 payment(s) left"), row.lines)
        assertTrue(row.isDefault)
        assertEquals(listOf(TokenAction.REPORT_LOST, TokenAction.DELETE), row.actions)
        assertEquals("Default card: UP CREDIT ···· 0008", TokenScreen.summary(w.tokens()))
        val n = notices()
        assertNotice(n, "DEFAULT_CHANGED", "Terminals now charge UP CREDIT ···· 0008")
        assertNotice(n, "TOKEN_STATE", "UP CREDIT ···· 0008 is ready to pay")

        // Pay through HceService; the second tap leaves one payment: keys low.
        paid(pay(), atc = 1)
        assertNotice(notices(), "PAYMENT", "Paid with ···· 0008", "Transaction 1")
        paid(pay(), atc = 2)
        assertNotice(notices(), "KEYS", "UP CREDIT ···· 0008: few payments left")
        assertEquals(listOf("Ready to pay · default card", "Expires 12/2030", "1 payment(s) left — running low, the app tops up when online"), TokenScreen.row(only(w)).lines)

        // Report lost: the terminal sees no card at once; only PPSE stays routed.
        assertEquals("Report lost", TokenScreen.confirmation(TokenAction.REPORT_LOST, only(w)).confirm)
        assertEquals("Reported lost: the card no longer pays on this phone", TokenScreen.perform(w, TokenAction.REPORT_LOST, "tok-0"))
        assertEquals(noCard, pay())
        assertEquals(listOf(Aids.PPSE), routing.groups[Aids.CATEGORY_PAYMENT])
        val lost = only(w)
        assertEquals(listOf(TokenHold.USER), lost.suspendedBy)
        assertEquals("Suspended: you reported it lost", TokenScreen.state(lost))
        assertEquals(listOf(TokenAction.RESUME, TokenAction.DELETE), TokenScreen.actions(lost))
        assertEquals("No card can pay now (none is active).", TokenScreen.summary(w.tokens()))
        val n2 = notices()
        assertNotice(n2, "DEFAULT_CHANGED", "No card can pay now")
        assertNotice(n2, "TOKEN_STATE", "is suspended", "As you asked.")
        assertEquals("a refusal is a sentence, not a crash", "Only an active card can be the default", TokenScreen.perform(w, TokenAction.SET_DEFAULT, "tok-0"))

        // Resume: asked once, the bank confirms with a status message (shared as base64 text).
        assertEquals("Resume requested: the card pays again once your bank confirms", TokenScreen.perform(w, TokenAction.RESUME, "tok-0"))
        assertEquals(listOf(TokenAction.DELETE), TokenScreen.actions(only(w)))
        assertTrue(TokenScreen.state(only(w)).endsWith("resume requested, waiting for your bank"))
        assertEquals(listOf(TokenRequestKind.REPORT_LOST, TokenRequestKind.RESUME), w.pendingTokenRequests().map { it.kind })
        assertEquals(noCard, pay())
        val shared = Base64.getMimeEncoder().encode(fixture("token-status-resume.cose"))
        val status = TokenImport.recognise(shared)!!
        assertEquals(TokenImport.Kind.STATUS, status.kind)
        assertEquals("Your bank's update was applied", TokenImport.apply(w, status, deviceSecure = true))
        assertEquals(TokenState.ACTIVE, only(w).state)
        assertEquals(Aids.STATIC[Aids.CATEGORY_PAYMENT], routing.groups[Aids.CATEGORY_PAYMENT])
        assertNotice(notices(), "TOKEN_STATE", "is ready to pay", "Your bank confirmed your request.")

        // The last payment, then keys used up; a top-up file brings it back.
        paid(pay(), atc = 3)
        assertEquals(PayOutcome.Refused("GPO", 0x6985), pay())
        val n3 = notices()
        assertNotice(n3, "KEYS", "cannot pay now", "used up")
        assertNotice(n3, "PAYMENT", "declined", "No payment keys left")
        assertEquals("Payment keys topped up", TokenImport.apply(w, TokenImport.recognise(fixture("token-replenish.cose"))!!, deviceSecure = true))
        paid(pay(), atc = 4)

        // Delete: wiped at once, nothing left to route but PPSE.
        assertEquals("Card deleted from this phone", TokenScreen.perform(w, TokenAction.DELETE, "tok-0"))
        assertTrue(w.tokens().isEmpty())
        assertEquals(noCard, pay())
        assertEquals(listOf(Aids.PPSE), routing.groups[Aids.CATEGORY_PAYMENT])
        assertTrue(TokenScreen.perform(w, TokenAction.REPORT_LOST, "tok-0").startsWith("Not possible in the card's present state"))
        assertEquals("This card is no longer on the phone", TokenScreen.perform(w, TokenAction.RESUME, "tok-9"))
    }

    @Test
    fun verifyOnThePhoneThenTapWithinTheWindow() {
        val w = open()
        provision(w)
        notices()
        // A reader above its no-CVM limit: "verify on the phone and tap again".
        assertEquals(PayOutcome.Refused("GPO", 0x6986), pay(terminal(cvmRequired = true)))
        assertNotice(notices(), "VERIFY", "Verify to pay", "UP CREDIT ···· 0008: confirm it's you")

        assertEquals(VerifyPrompt.BIOMETRIC_PROMPT, VerifyToPay.prompt(28, deviceSecure = true))
        assertEquals(VerifyPrompt.CONFIRM_CREDENTIAL, VerifyToPay.prompt(27, deviceSecure = true))
        assertEquals(VerifyPrompt.NONE, VerifyToPay.prompt(35, deviceSecure = false))
        assertEquals(CdcvmMethod.DEVICE_PASSCODE, VerifyToPay.method(VerifyPrompt.BIOMETRIC_PROMPT, VerifyToPay.RESULT_DEVICE_CREDENTIAL))
        assertEquals(CdcvmMethod.BIOMETRIC, VerifyToPay.method(VerifyPrompt.BIOMETRIC_PROMPT, VerifyToPay.RESULT_BIOMETRIC))
        assertEquals(CdcvmMethod.BIOMETRIC, VerifyToPay.method(VerifyPrompt.BIOMETRIC_PROMPT, null))
        assertEquals(CdcvmMethod.DEVICE_PASSCODE, VerifyToPay.method(VerifyPrompt.CONFIRM_CREDENTIAL, null))

        var now = 1_000_000L
        val verify = VerifyToPay(30_000) { now }
        assertEquals("Verify first, then hold the phone to the terminal within 30 s", verify.status())
        verify.verified(CdcvmMethod.BIOMETRIC) { m, ms -> w.userVerified(m, ms) }
        assertEquals("Verified: hold the phone to the terminal within 30 s", verify.status())
        now += 12_500
        assertEquals("Verified: hold the phone to the terminal within 18 s", verify.status())
        paid(pay(terminal(cvmRequired = true)), atc = 1, cdcvm = true)
        assertNotice(notices(), "PAYMENT", "verified on the phone")
        now += 20_000
        assertEquals(0L, verify.remainingMs())

        // The window is the wallet's too: once over, the reader is told to wait again.
        val short = VerifyToPay(300)
        short.verified(CdcvmMethod.DEVICE_PASSCODE) { m, ms -> w.userVerified(m, ms) }
        Thread.sleep(400)
        assertEquals(0L, short.remainingMs())
        assertEquals(PayOutcome.Refused("GPO", 0x6986), pay(terminal(cvmRequired = true)))
    }

    @Test
    fun screenLockRemovalSuspendsAndSignOutDeletes() {
        val w = open()
        provision(w)
        paid(pay(), atc = 1)
        notices()
        val flag = MemoryFlag()
        val watch = CredentialWatch(flag) { w.onDeviceEvent(it) }
        assertNull("the first look only records", watch.check(true))
        assertEquals(DeviceEvent.CREDENTIAL_REMOVED, watch.check(false))
        val t = only(w)
        assertEquals(TokenState.SUSPENDED, t.state)
        assertEquals(listOf(TokenHold.CREDENTIAL), t.suspendedBy)
        assertEquals("Suspended: the screen lock was removed: set one to pay again", TokenScreen.state(t))
        assertEquals("only setting a screen lock lifts it", listOf(TokenAction.DELETE), TokenScreen.actions(t))
        assertEquals(noCard, pay())
        assertNotice(notices(), "TOKEN_STATE", "is suspended", "screen lock was removed")
        assertNull("reported once", watch.check(false))

        // A report that fails is not forgotten: the next look reports again.
        val failing = CredentialWatch(flag) { throw IllegalStateException("store busy") }
        try { failing.check(true); fail() } catch (e: IllegalStateException) { }
        assertEquals(false, flag.value)
        assertEquals(DeviceEvent.CREDENTIAL_SET, watch.check(true))
        assertEquals(TokenState.ACTIVE, only(w).state)
        paid(pay(), atc = 2)

        // Sign-out (settings): every card deleted, keys wiped, only PPSE routed.
        w.onDeviceEvent(DeviceEvent.SIGNED_OUT)
        assertTrue(w.tokens().isEmpty())
        assertEquals(noCard, pay())
        assertEquals(listOf(Aids.PPSE), routing.groups[Aids.CATEGORY_PAYMENT])
        assertNotice(notices(), "TOKEN_STATE", "was removed from this phone", "signed out")
    }

    @Test
    fun theRegistrarRegistersWhatTheWalletReportsAndRetriesRefusals() {
        val w = open()
        val set = w.aidSet()
        assertEquals("Smart Tap: the core's AIDs are apduservice.xml's", Aids.STATIC[Aids.CATEGORY_OTHER],
            set.groups.single { AidRegistrar.category(it.category) == Aids.CATEGORY_OTHER }.aids)
        routing.calls.clear()
        assertEquals("unchanged: nothing re-registered", emptyList<String>(), registrar.apply(set))
        assertTrue(routing.calls.isEmpty())

        routing.refuse = true
        provision(w)
        assertEquals(listOf("register payment ${Aids.STATIC[Aids.CATEGORY_PAYMENT]}"), routing.calls)
        assertNull("a refused registration is not remembered", registrar.registered()[Aids.CATEGORY_PAYMENT])
        routing.refuse = false
        assertEquals(listOf(Aids.CATEGORY_PAYMENT), registrar.apply(w.aidSet()))
        assertEquals(Aids.STATIC[Aids.CATEGORY_PAYMENT], registrar.registered()[Aids.CATEGORY_PAYMENT])

        // An AID the framework would refuse is left out, not the whole group; an empty group is removed.
        val odd = dev.hcewallet.AidSet(listOf(
            dev.hcewallet.AidGroup(dev.hcewallet.AidCategory.PAYMENT, listOf(Aids.PPSE, "a0000000031010", "A0000")),
            dev.hcewallet.AidGroup(dev.hcewallet.AidCategory.OTHER, emptyList()),
        ))
        routing.calls.clear()
        registrar.apply(odd)
        assertEquals(listOf("register payment [${Aids.PPSE}, A0000000031010]", "remove other"), routing.calls)
    }

    @Test
    fun theDefaultPaymentFlowPerAndroidVersion() {
        fun flow(sdk: Int, isDefault: Boolean, available: Boolean, held: Boolean) =
            DefaultPayment.flow(sdk, isDefault, available, held).name
        assertEquals("CHANGE_DEFAULT", flow(26, false, false, false))
        assertEquals("CHANGE_DEFAULT", flow(34, false, true, false)) // the role exists from 35 only
        assertEquals("WALLET_ROLE", flow(35, false, true, false))
        assertEquals("CHANGE_DEFAULT", flow(35, false, false, false)) // the device does not offer the role
        assertEquals("NONE", flow(35, false, true, true))
        assertEquals("NONE", flow(30, true, false, false))
    }

    @Test
    fun tokenFilesAreRecognisedRawAndAsText() {
        val raw = fixture("token-provision.cose")
        assertEquals(TokenImport.Kind.PROVISIONING, TokenImport.recognise(raw)!!.kind)
        val url = Base64.getUrlEncoder().withoutPadding().encodeToString(raw).chunked(60).joinToString("\n")
        assertTrue(TokenImport.recognise(url.toByteArray())!!.bytes.contentEquals(raw))
        assertTrue(TokenImport.recognise(Base64.getEncoder().encode(raw))!!.bytes.contentEquals(raw))
        assertEquals(TokenImport.Kind.STATUS, TokenImport.recognise(fixture("token-status-issuer-suspend.cose"))!!.kind)
        assertNull("a key bundle is COSE too, but not the token service's", TokenImport.recognise(fixture("key-bundle.cose")))
        assertNull(TokenImport.recognise(File(Dirs.app, "src/main/assets/demo-pass.json").readBytes()))
        assertNull(TokenImport.recognise(raw.copyOf(3)))
        assertNull(TokenImport.recognise(byteArrayOf(0xD2.toByte(), 0x84.toByte(), 0x59, 0x7F, 0x7F)))
        assertNull(TokenImport.recognise("not base64 at all!".toByteArray()))
        // The asset the app pins is the key that signed the fixtures.
        assertEquals(File(Dirs.fixtures, "token-service.pub.pem").readText(), File(Dirs.app, "src/main/assets/${SampleConfig.TOKEN_SERVICE_KEY_ASSET}").readText())
    }
}
