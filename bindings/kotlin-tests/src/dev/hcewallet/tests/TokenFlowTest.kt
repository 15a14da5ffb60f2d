// Payment tokens through the Kotlin API: provision → pay (the JDK-only EMV terminal verifies
// the cryptogram) → report lost (the terminal sees no token) → resume (the token service's
// signed status message) → keys exhausted (declined) → replenish (a signed batch) → pay
// again, closing and reopening the wallet in between; the ATC keeps rising across reopen.
// Fixtures: bindings/kotlin-tests/fixtures (README.md says how they are regenerated).
package dev.hcewallet.tests

import dev.hcewallet.CdcvmMethod
import dev.hcewallet.DeactivationReason
import dev.hcewallet.DeclineReason
import dev.hcewallet.DeviceEvent
import dev.hcewallet.KeyStatus
import dev.hcewallet.TokenInfo
import dev.hcewallet.TokenOrigin
import dev.hcewallet.TokenRequestKind
import dev.hcewallet.TokenState
import dev.hcewallet.Wallet
import dev.hcewallet.WalletConfig
import dev.hcewallet.WalletEvent
import dev.hcewallet.WalletException
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.io.File

class TokenFlowTest {
    companion object {
        const val DEVICE = "kotlin-device-1"
        val fixtures = File(System.getProperty("hce.fixtures.dir") ?: "bindings/kotlin-tests/fixtures")
        fun fixture(name: String): ByteArray = File(fixtures, name).readBytes()
        val servicePem: String get() = File(fixtures, "token-service.pub.pem").readText()

        /** The issuer side: key index → LUK, from the fixture's key lists. */
        val luks: Map<String, ByteArray> by lazy {
            listOf("token-luks-batch0.txt", "token-luks-batch1.txt").flatMap { f ->
                File(fixtures, f).readLines().filter { it.isNotBlank() }.map { line ->
                    val (index, luk) = line.trim().split(" ")
                    index.uppercase() to luk.hex()
                }
            }.toMap()
        }

        fun config(pinned: List<String> = listOf(servicePem), device: String? = DEVICE) = WalletConfig(
            lockedPolicy = dev.hcewallet.LockedPolicy.REQUIRE_UNLOCK,
            pinnedTokenServiceKeys = pinned,
            deviceId = device,
        )
    }

    private class Session(val dir: File = Fixtures.tempDir(), val rootKey: ByteArray = Fixtures.rootKey()) {
        val listener = RecordingListener()
        fun open(): Wallet = Fixtures.openWallet(listener = listener, config = config(), dir = dir, rootKey = rootKey)
        fun events(): List<WalletEvent> = synchronized(listener.events) {
            ArrayList(listener.events).also { listener.events.clear() }
        }
    }

    private fun tap(w: Wallet): PayOutcome {
        val outcome = EmvTerminal({ w.processApdu(it) }, luks).tap()
        w.onDeactivated(DeactivationReason.LINK_LOSS)
        return outcome
    }

    private fun assertPaid(outcome: PayOutcome, atc: Int, keyIndex: String, cdcvm: Boolean = false) {
        assertTrue("expected a payment, got $outcome", outcome is PayOutcome.Paid)
        val p = outcome as PayOutcome.Paid
        assertEquals("ATC", atc, p.atc)
        assertEquals("key index", keyIndex, p.keyIndex)
        assertTrue("the cryptogram verifies with the issuer's LUK", p.verified)
        assertEquals("6231000000000008", p.pan)
        assertEquals("A000000333010102", p.aid)
        assertEquals(0x80, p.cid) // ARQC: a cloud token always goes online
        assertEquals("CDCVM", cdcvm, p.cdcvm)
    }

    private fun only(w: Wallet): TokenInfo = w.tokens().single()

    @Test
    fun terminalCryptoMatchesTheSpecVector() {
        // Payment spec §9.4, vector 1.
        val luk = "0123456789ABCDEFFEDCBA9876543210".hex()
        assertArrayEquals("848C35717F66D40944F9286FF19ABFFD".hex(), GenericProfile.sessionKey(luk, 1))
        val data = "000000001000000000000000015600000000000156261122001234567800000001".hex()
        assertArrayEquals("EE5656F5AB8BBC29".hex(), GenericProfile.retailMac(GenericProfile.sessionKey(luk, 1), data))
        assertArrayEquals("8A2F83D66C35B30F".hex(), GenericProfile.ac(luk, 1, data + byteArrayOf(0x80.toByte())))
    }

    @Test
    fun provisionPaySuspendResumeExhaustReplenishAcrossReopen() {
        val s = Session()

        // Provision (1 key × 3 transactions) and pay.
        s.open().use { w ->
            w.provisionToken(fixture("token-provision.cose"))
            val t = only(w)
            assertEquals(TokenState.ACTIVE, t.state)
            assertTrue(t.isDefault)
            assertEquals("0008", t.lastFour)
            assertEquals(2030, t.expiryYear.toInt())
            assertEquals(KeyStatus.Available(3u, false), t.keys)
            assertEquals("A000000333010102", t.aid)
            assertFalse(t.toString().contains("6231000000000008"))
            val ev = s.events()
            assertTrue(ev.toString(), ev.any { it is WalletEvent.TokenStateChanged && it.to == TokenState.ACTIVE })
            assertTrue(ev.toString(), ev.any { it is WalletEvent.DefaultTokenChanged && it.to == "tok-0" })

            assertPaid(tap(w), atc = 1, keyIndex = "00010000")
            assertTrue(s.events().any { it is WalletEvent.PaymentSent && it.atc.toInt() == 1 })
        }

        // Reopen: the ATC continues; the last-but-one key use says "keys low".
        s.open().use { w ->
            assertEquals(1, only(w).atc.toInt())
            assertPaid(tap(w), atc = 2, keyIndex = "00010000")
            assertTrue(s.events().any { it is WalletEvent.KeysLow && it.tokenRef == "tok-0" })

            // Report lost: at once, before the server confirms; the terminal sees no token.
            w.reportLost("tok-0")
            assertEquals(TokenState.SUSPENDED, only(w).state)
            assertFalse(only(w).isDefault)
            val ev = s.events()
            assertTrue(ev.toString(), ev.any {
                it is WalletEvent.TokenStateChanged && it.to == TokenState.SUSPENDED && it.origin == TokenOrigin.USER
            })
            assertTrue(ev.toString(), ev.any { it is WalletEvent.DefaultTokenChanged && it.to == null })
            assertEquals(PayOutcome.Refused("SELECT PPSE", 0x6A82), tap(w))

            // Un-report: only queued until the token service confirms.
            w.resumeToken("tok-0")
            assertEquals(TokenState.SUSPENDED, only(w).state)
            assertTrue(only(w).resumeRequested)
            assertEquals(
                listOf(TokenRequestKind.REPORT_LOST, TokenRequestKind.RESUME),
                w.pendingTokenRequests().map { it.kind },
            )
        }

        s.open().use { w ->
            assertEquals(2, w.pendingTokenRequests().size) // the queue is durable
            assertEquals(PayOutcome.Refused("SELECT PPSE", 0x6A82), tap(w))
            w.applyTokenStatus(fixture("token-status-resume.cose"))
            val t = only(w)
            assertEquals(TokenState.ACTIVE, t.state)
            assertTrue(t.isDefault)
            assertFalse(t.resumeRequested)
            // The confirmed resume left the queue; the report lost waits for the host's ack.
            assertEquals(listOf(TokenRequestKind.REPORT_LOST), w.pendingTokenRequests().map { it.kind })
            try { w.applyTokenStatus(fixture("token-status-resume.cose")); fail("replay accepted") } catch (e: WalletException.TokenMessageReplayed) { }
            assertEquals(1u, w.acknowledgeTokenRequests(2uL))
            assertTrue(w.pendingTokenRequests().isEmpty())

            // The last transaction of the key, then a decline: no ATC spent.
            assertPaid(tap(w), atc = 3, keyIndex = "00010000")
            assertEquals(KeyStatus.Exhausted, only(w).keys)
            s.events()
            assertEquals(PayOutcome.Refused("GPO", 0x6985), tap(w))
            val ev = s.events()
            assertTrue(ev.toString(), ev.any { it is WalletEvent.PaymentDeclined && it.reason == DeclineReason.KeysExhausted })
            assertTrue(ev.toString(), ev.any { it is WalletEvent.KeysExhausted })
            assertEquals(3, only(w).atc.toInt())
        }

        // Replenish (a signed batch of 2 keys × 3) and pay again, with CDCVM this time.
        s.open().use { w ->
            w.provisionToken(fixture("token-replenish.cose"))
            assertEquals(KeyStatus.Available(6u, false), only(w).keys)
            w.userVerified(CdcvmMethod.BIOMETRIC, 60_000uL)
            assertPaid(tap(w), atc = 4, keyIndex = "00020000", cdcvm = true)
        }

        // CDCVM is volatile: gone after reopen. The ATC keeps rising.
        s.open().use { w ->
            assertPaid(tap(w), atc = 5, keyIndex = "00020000")
            assertEquals(5, only(w).atc.toInt())

            // An issuer suspension, then sign-out.
            w.applyTokenStatus(fixture("token-status-issuer-suspend.cose"))
            assertEquals(TokenState.SUSPENDED, only(w).state)
            assertEquals(PayOutcome.Refused("SELECT PPSE", 0x6A82), tap(w))
            try { w.resumeToken("tok-0"); fail() } catch (e: WalletException.TokenStateRefused) { }
            w.onDeviceEvent(DeviceEvent.SIGNED_OUT)
            assertTrue(w.tokens().isEmpty())
            assertTrue(s.events().any { it is WalletEvent.TokenStateChanged && it.to == TokenState.DELETED })
        }
    }

    @Test
    fun refusalsAreTypedExceptions() {
        val s = Session()
        s.open().use { w ->
            try { w.reportLost("tok-0"); fail() } catch (e: WalletException.NoSuchToken) { }
            try { w.setDefaultToken("tok-0"); fail() } catch (e: WalletException.NoSuchToken) { }
            try { w.provisionToken(fixture("key-bundle.cose")); fail() } catch (e: WalletException.TokenMessageSignature) { }
            try { w.provisionToken(fixture("token-status-resume.cose")); fail() } catch (e: WalletException.TokenMessageSignature) { }
            try { w.provisionToken(byteArrayOf(1, 2, 3)); fail() } catch (e: WalletException.TokenMessageSignature) { }
            w.provisionToken(fixture("token-provision.cose"))
            try { w.provisionToken(fixture("token-provision.cose")); fail() } catch (e: WalletException.TokenMessageReplayed) { }
            try { w.resumeToken("tok-0"); fail() } catch (e: WalletException.TokenStateRefused) { }
            w.deleteToken("tok-0")
            assertTrue(w.tokens().isEmpty())
            try { w.setDefaultToken("tok-0"); fail() } catch (e: WalletException.DefaultNotActive) { }
            assertEquals(PayOutcome.Refused("SELECT PPSE", 0x6A82), tap(w))
        }
        // Another device's wallet refuses the payload; a wallet without pinned keys refuses all.
        Fixtures.openWallet(config = config(device = "other-device")).use { w ->
            try { w.provisionToken(fixture("token-provision.cose")); fail() } catch (e: WalletException.TokenMessageOtherDevice) { }
            assertNull(w.tokens().firstOrNull())
        }
        Fixtures.openWallet(config = config(pinned = emptyList())).use { w ->
            try { w.provisionToken(fixture("token-provision.cose")); fail() } catch (e: WalletException.TokensNotConfigured) { }
        }
    }
}
