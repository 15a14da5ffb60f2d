// The whole Kotlin API against a real wallet: open, import, list, get, remove, UI context,
// chooser, errors as exceptions, listener events, key sync through an HttpTransport written
// in Kotlin — and full Smart Tap taps by the JDK-crypto terminal through both call paths
// (UniFFI/JNA and the JNI fast path), with the whole tap's log searched for secrets.
package dev.hcewallet.tests

import dev.hcewallet.DeactivationReason
import dev.hcewallet.HceBridge
import dev.hcewallet.HttpException
import dev.hcewallet.HttpRequest
import dev.hcewallet.HttpResponse
import dev.hcewallet.HttpTransport
import dev.hcewallet.LogLevel
import dev.hcewallet.PassType
import dev.hcewallet.SyncOutcome
import dev.hcewallet.UiContext
import dev.hcewallet.Wallet
import dev.hcewallet.WalletConfig
import dev.hcewallet.WalletEvent
import dev.hcewallet.WalletException
import dev.hcewallet.setLogSink
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.io.File
import java.security.MessageDigest
import java.util.Collections

class WalletApiTest {
    companion object {
        const val DEMO_ISSUER = 3265320111641956183L
        const val URL = "https://keys.example.invalid/bundle.cose"
        val fixtures = File(System.getProperty("hce.fixtures.dir") ?: "bindings/kotlin-tests/fixtures")
        val bundle: ByteArray get() = File(fixtures, "key-bundle.cose").readBytes()
        val rootPem: String get() = File(fixtures, "bundle-root.pub.pem").readText()

        fun loyaltyJson(vararg passes: Pair<String, String>): String {
            val objects = passes.joinToString(",") { (suffix, value) ->
                """{"id":"$DEMO_ISSUER.$suffix","classId":"$DEMO_ISSUER.kt-class","state":"ACTIVE",
                   "smartTapRedemptionValue":"$value","barcode":{"type":"QR_CODE","value":"bc-$suffix"}}"""
            }
            return """{"loyaltyClasses":[{"id":"$DEMO_ISSUER.kt-class","issuerName":"Demo","programName":"Kotlin Rewards",
               "reviewStatus":"UNDER_REVIEW","enableSmartTap":true,"redemptionIssuers":["$DEMO_ISSUER"]}],
               "loyaltyObjects":[$objects]}"""
        }
    }

    /** The app's HTTP client, in Kotlin: serves the signed bundle at URL, 404 elsewhere. */
    class BundleServer(private val body: ByteArray) : HttpTransport {
        val requests: MutableList<HttpRequest> = Collections.synchronizedList(ArrayList())
        var offline = false
        override fun send(request: HttpRequest): HttpResponse {
            requests.add(request)
            if (offline) throw HttpException.Offline("airplane mode")
            if (request.url != URL) return HttpResponse(404u, emptyList(), ByteArray(0))
            return HttpResponse(200u, listOf(dev.hcewallet.HttpHeader("ETag", "\"b1\"")), body)
        }
    }

    private class Setup(val wallet: Wallet, val listener: RecordingListener, val server: BundleServer, val rootKey: ByteArray)

    private fun setup(
        sync: Boolean = true,
        vararg passes: Pair<String, String>,
        uiContext: UiContext? = UiContext.Home,
    ): Setup {
        val listener = RecordingListener()
        val server = BundleServer(bundle)
        val rootKey = Fixtures.rootKey()
        val wallet = Fixtures.openWallet(
            listener = listener, transport = server, rootKey = rootKey,
            config = WalletConfig(pinnedBundleRoots = listOf(rootPem), syncUrl = URL, lockedPolicy = dev.hcewallet.LockedPolicy.REQUIRE_UNLOCK),
            uiContext = uiContext,
        )
        if (passes.isNotEmpty()) wallet.importPassJson(loyaltyJson(*passes))
        if (sync) assertEquals(SyncOutcome.Updated(1uL, 1u), wallet.syncNow())
        return Setup(wallet, listener, server, rootKey)
    }

    private fun oid(objectId: String) =
        MessageDigest.getInstance("SHA-256").digest(objectId.toByteArray()).copyOf(8)

    @Test
    fun passesListGetRemoveAndErrors() {
        val s = setup(sync = false)
        s.wallet.use { w ->
            val ids = w.importPassJson(loyaltyJson("a" to "RV-a", "b" to "RV-b"))
            assertEquals(listOf("$DEMO_ISSUER.a", "$DEMO_ISSUER.b"), ids)
            val list = w.listPasses()
            assertEquals(ids, list.map { it.objectId })
            val a = w.getPass(ids[0])
            assertEquals(PassType.LOYALTY, a.passType)
            assertEquals("bc-a", a.barcodeValue)
            assertEquals(listOf(DEMO_ISSUER.toULong()), a.redemptionIssuers)
            assertTrue(a.smartTapEnabled && a.hasRedemptionValue)
            assertFalse("redemption values never cross", list.toString().contains("RV-a"))
            w.setSmartTapEnabled(ids[0], false)
            assertFalse(w.getPass(ids[0]).smartTapEnabled)
            assertTrue(w.removePass(ids[0]))
            assertFalse(w.removePass(ids[0]))
            assertEquals(listOf(ids[1]), w.listPasses().map { it.objectId })

            try { w.getPass("nope"); fail() } catch (e: WalletException.NoSuchPass) {
                assertTrue(e.message!!, e.message!!.contains("nope"))
            }
            try { w.choosePass("nope"); fail() } catch (e: WalletException.NoSuchPass) { }
            try { w.importPassJson("""{"loyaltyObjects":[{"id":"1.x"}]}"""); fail() } catch (e: WalletException.Import) {
                assertTrue(e.message!!, e.message!!.contains("loyaltyObjects[0].classId"))
            }
            assertEquals(1, w.listPasses().size)
        }
        try {
            Fixtures.openWallet(config = WalletConfig(syncUrl = URL, lockedPolicy = dev.hcewallet.LockedPolicy.REQUIRE_UNLOCK)); fail()
        } catch (e: WalletException.InvalidConfig) {
            assertTrue(e.message!!, e.message!!.contains("pinned_bundle_roots"))
        }
        Fixtures.openWallet().use { w ->
            try { w.syncNow(); fail() } catch (e: WalletException.Sync) { assertTrue(e.message!!.contains("not configured")) }
        }
    }

    @Test
    fun aNewWalletSendsNothingBeforeTheAppReportsAUiContext() {
        val s = setup(true, "a" to "RV-a", uiContext = null)
        s.wallet.use { w ->
            val locked = Vectors.liveTerminal().tap(w::processApdu)
            w.onDeactivated(DeactivationReason.LINK_LOSS)
            assertEquals(TapOutcome.Ended("GET DATA", 0x9300), locked.outcome)
            assertEquals(1, s.listener.events.count { it is WalletEvent.UnlockRequired })
            w.setUiContext(UiContext.Home)
            val read = Vectors.liveTerminal().tap(w::processApdu)
            assertEquals("RV-a", (read.outcome as TapOutcome.PassRead).redemptionValue)
        }
    }

    @Test
    fun keySyncThroughAKotlinTransport() {
        val s = setup(sync = false, "a" to "RV-a")
        s.wallet.use { w ->
            assertEquals(listOf(DEMO_ISSUER.toULong()), w.syncStatus().issuersWithoutKeys)
            // A tap before any key is known authenticates nobody and sends nothing.
            val before = Vectors.liveTerminal().tap(w::processApdu)
            assertEquals(TapOutcome.Ended("NEGOTIATE", 0x9500), before.outcome)

            s.server.offline = true
            val failed = w.syncNow()
            assertTrue(failed.toString(), failed is SyncOutcome.Failed && failed.reason.contains("no network"))
            s.server.offline = false
            assertEquals(SyncOutcome.Updated(1uL, 1u), w.syncNow())
            val req = s.server.requests.last()
            assertEquals(URL, req.url)
            assertTrue(req.timeoutMs > 0uL && req.maxBodyBytes > 0uL)
            val status = w.syncStatus()
            assertEquals(1uL, status.bundleSequence)
            assertTrue(status.issuersWithoutKeys.isEmpty())
            val syncEvents = s.listener.events.filterIsInstance<WalletEvent.SyncFinished>().map { it.outcome }
            assertEquals(2, syncEvents.size)
            assertEquals(SyncOutcome.Updated(1uL, 1u), syncEvents.last())
        }
    }

    @Test
    fun fullTapOnBothPathsIsReadByTheJdkTerminal() {
        val sink = CapturingLogSink()
        assertTrue(setLogSink(sink, LogLevel.TRACE))
        val value = "RV-kt-7f3a91c2"
        val s = setup(true, "solo" to value)
        val okms = ArrayList<ByteArray>()
        try {
            s.wallet.use { w ->
                w.registerFastPath()
                val paths = listOf<Pair<String, (ByteArray) -> ByteArray>>(
                    "uniffi" to w::processApdu, "jni" to HceBridge::processApdu,
                )
                for ((name, transmit) in paths) {
                    for (terminal in listOf(
                        Vectors.liveTerminal(),
                        Vectors.liveTerminal(pcr = "4100000004".hex(), serviceTypes = byteArrayOf(0), secondSelect = false),
                    )) {
                        val r = terminal.tap(transmit)
                        w.onDeactivated(DeactivationReason.LINK_LOSS)
                        val pass = r.outcome as? TapOutcome.PassRead ?: error("$name: ${r.outcome}")
                        assertEquals("$name path", value, pass.redemptionValue)
                        assertEquals(DEMO_ISSUER, pass.issuerId)
                        assertEquals("ly", pass.serviceType)
                        assertArrayEquals(oid("$DEMO_ISSUER.solo"), pass.objectRef)
                        okms.add(r.okm!!)
                    }
                }
                val sent = s.listener.events.filterIsInstance<WalletEvent.PassSent>()
                assertEquals(4, sent.size)
                assertTrue(sent.all { it.collectorId == Vectors.collectorId.toUInt() && it.objectId == "$DEMO_ISSUER.solo" })
                assertEquals(4, s.listener.events.count { it is WalletEvent.Authenticated })
                assertTrue(s.listener.events.contains(WalletEvent.Deactivated))
                w.unregisterFastPath()
            }
        } finally {
            setLogSink(null, LogLevel.ERROR)
        }
        // The log of the whole session holds no redemption value, root key or session key.
        val log = sink.lines.joinToString("\n")
        assertTrue("the tap was logged at all", sink.lines.isNotEmpty())
        val secrets = listOf(value, s.rootKey.hex()) + okms.flatMap { listOf(it.hex(), it.copyOf(16).hex(), it.copyOfRange(16, 48).hex()) }
        for (secret in secrets) assertFalse("log leaks a secret", log.contains(secret, ignoreCase = true))
        // Object IDs (which can carry member numbers) appear at debug level at most.
        val loud = sink.lines.filter { it.startsWith("INFO ") || it.startsWith("WARN ") || it.startsWith("ERROR ") }
        for (line in loud) assertFalse("object ID at info: $line", line.contains("$DEMO_ISSUER.solo"))
    }

    @Test
    fun stateSurvivesCloseAndReopenInTheEncryptedStore() {
        val dir = Fixtures.tempDir()
        val rootKey = Fixtures.rootKey()
        val config = WalletConfig(pinnedBundleRoots = listOf(rootPem), syncUrl = URL, lockedPolicy = dev.hcewallet.LockedPolicy.REQUIRE_UNLOCK)
        val value = "RV-persisted-51d0"
        Fixtures.openWallet(transport = BundleServer(bundle), config = config, dir = dir, rootKey = rootKey).use { w ->
            w.importPassJson(loyaltyJson("keep" to value, "off" to "RV-off"))
            assertEquals(SyncOutcome.Updated(1uL, 1u), w.syncNow())
            w.setSmartTapEnabled("$DEMO_ISSUER.off", false)
            // A second open of the same store while this one is open is refused.
            try {
                Fixtures.openWallet(config = config, dir = dir, rootKey = rootKey); fail()
            } catch (e: WalletException.StoreLocked) { }
        }
        // Another key cannot open it.
        try {
            Fixtures.openWallet(config = config, dir = dir, rootKey = Fixtures.rootKey()); fail()
        } catch (e: WalletException.WrongRootKey) { }
        // Reopened offline with the right key: passes, switch and keys are there; a tap reads the pass.
        val offline = BundleServer(bundle).also { it.offline = true }
        Fixtures.openWallet(transport = offline, config = config, dir = dir, rootKey = rootKey).use { w ->
            assertEquals(listOf("$DEMO_ISSUER.keep", "$DEMO_ISSUER.off"), w.listPasses().map { it.objectId })
            assertFalse(w.getPass("$DEMO_ISSUER.off").smartTapEnabled)
            assertEquals(1uL, w.syncStatus().bundleSequence)
            val r = Vectors.liveTerminal().tap(w::processApdu)
            w.onDeactivated(DeactivationReason.LINK_LOSS)
            val pass = r.outcome as? TapOutcome.PassRead ?: error("${r.outcome}")
            assertEquals(value, pass.redemptionValue)
            val activity = w.activity(50u)
            val sent = activity.single { it.kind == "tap.sent" }
            assertEquals("$DEMO_ISSUER.keep", sent.objectId)
            assertEquals(Vectors.collectorId.toUInt(), sent.collectorId)
            assertTrue(activity.map { it.kind }.containsAll(listOf("import", "sync", "tap.authenticated")))
            assertFalse("no value in the activity log", activity.toString().contains(value))
        }
        val file = File(dir, "wallet.redb").readBytes()
        assertFalse("no plaintext value in the file", String(file, Charsets.ISO_8859_1).contains(value))
    }

    @Test
    fun chooserUnlockAndOpenPassDecisions() {
        val s = setup(true, "a" to "RV-a", "b" to "RV-b")
        s.wallet.use { w ->
            val a = "$DEMO_ISSUER.a"
            val b = "$DEMO_ISSUER.b"
            // Two eligible on the home screen: chooser (9302) with both candidates.
            val first = Vectors.liveTerminal().tap(w::processApdu)
            w.onDeactivated(DeactivationReason.LINK_LOSS)
            assertEquals(TapOutcome.Ended("GET DATA", 0x9302), first.outcome)
            val chooser = s.listener.events.filterIsInstance<WalletEvent.ChooserRequired>().single()
            assertEquals(setOf(a, b), chooser.candidates.toSet())
            // The user picks b and taps again.
            w.choosePass(b)
            val second = Vectors.liveTerminal().tap(w::processApdu)
            w.onDeactivated(DeactivationReason.LINK_LOSS)
            assertEquals("RV-b", (second.outcome as TapOutcome.PassRead).redemptionValue)
            // A pass open in the app wins.
            w.setUiContext(UiContext.PassOpen(a))
            val open = Vectors.liveTerminal().tap(w::processApdu)
            w.onDeactivated(DeactivationReason.LINK_LOSS)
            assertEquals("RV-a", (open.outcome as TapOutcome.PassRead).redemptionValue)
            // Locked device: unlock required (9300) and an event.
            w.setUiContext(UiContext.Locked)
            val locked = Vectors.liveTerminal().tap(w::processApdu)
            w.onDeactivated(DeactivationReason.LINK_LOSS)
            assertEquals(TapOutcome.Ended("GET DATA", 0x9300), locked.outcome)
            assertEquals(1, s.listener.events.count { it is WalletEvent.UnlockRequired })
            // Nothing eligible once both are switched off.
            w.setUiContext(UiContext.Home)
            w.setSmartTapEnabled(a, false)
            w.setSmartTapEnabled(b, false)
            val none = Vectors.liveTerminal().tap(w::processApdu)
            assertTrue(none.outcome.toString(), none.outcome is TapOutcome.Ended)
        }
    }

    @Test
    fun unknownKeyVersionIsAnAuthenticationFailureEvent() {
        val s = setup(true, "a" to "RV-a")
        s.wallet.use { w ->
            val t = SmartTapTerminal(TerminalConfig(Vectors.collectorId, 2, Vectors.collectorKey))
            assertEquals(TapOutcome.Ended("NEGOTIATE", 0x9500), t.tap(w::processApdu).outcome)
            val failed = s.listener.events.filterIsInstance<WalletEvent.AuthenticationFailed>().single()
            assertEquals(2u, failed.keyVersion)
            assertEquals(dev.hcewallet.AuthFailureReason.UNKNOWN_KEY, failed.reason)
        }
    }
}
