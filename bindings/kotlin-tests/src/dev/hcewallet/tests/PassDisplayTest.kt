// The display model through the Kotlin API: a Google Wallet flight pass (the core's
// fixture core/tests/fixtures/passes/display/flight.json) imported, the wallet closed and
// reopened, and every typed field read back; a gift card's PIN only on request; an
// issuer's signed pass update fetched through a Kotlin HttpTransport, raised as
// WalletEvent.PassChanged; an unverified save-to-wallet JWT refused.
package dev.hcewallet.tests

import dev.hcewallet.FlightStatus
import dev.hcewallet.HttpHeader
import dev.hcewallet.HttpRequest
import dev.hcewallet.HttpResponse
import dev.hcewallet.HttpTransport
import dev.hcewallet.LockedPolicy
import dev.hcewallet.PassChange
import dev.hcewallet.PassFeedConfig
import dev.hcewallet.PassFeedOutcome
import dev.hcewallet.WalletConfig
import dev.hcewallet.WalletEvent
import dev.hcewallet.WalletException
import dev.hcewallet.PassDateTime
import dev.hcewallet.PassMessageType
import dev.hcewallet.PassType
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.time.Instant

class PassDisplayTest {
    private val display = File(WalletApiTest.fixtures, "../../../core/tests/fixtures/passes/display")

    private fun ms(iso: String): Long = Instant.parse(iso).toEpochMilli()

    @Test
    fun flightFieldsSurviveAReopen() {
        val dir = Fixtures.tempDir()
        val key = Fixtures.rootKey()
        Fixtures.openWallet(dir = dir, rootKey = key).use { w ->
            assertEquals(listOf("3388000000022334455.LX318-2027-03-05-alex"),
                w.importPassJson(File(display, "flight.json").readText()))
        }
        Fixtures.openWallet(dir = dir, rootKey = key).use { w ->
            val p = w.getPass("3388000000022334455.LX318-2027-03-05-alex")
            assertEquals(PassType.FLIGHT, p.passType)
            assertEquals("#e30613", p.hexBackgroundColor)
            assertEquals("https://example.invalid/lx-logo.png", p.logoUri)
            assertEquals("DOE/ALEX", p.subtitle)
            val f = p.display.flight!!
            assertEquals("LX", f.carrierIataCode)
            assertEquals("318", f.flightNumber)
            assertEquals("ZRH", f.originAirport)
            assertEquals("A54", f.originGate)
            assertEquals("1", f.originTerminal)
            assertEquals("LHR", f.destinationAirport)
            assertEquals("12A", f.seatNumber)
            assertEquals("B", f.boardingGroup)
            assertEquals(FlightStatus.SCHEDULED, f.status)
            // Local airport time: wall clock as UTC, no offset.
            assertEquals(PassDateTime(ms("2027-03-05T07:20:00Z"), null), f.scheduledDeparture)
            // Written with +01:00: the instant, and the offset it was written in.
            assertEquals(PassDateTime(ms("2027-03-05T06:50:00Z"), 3600), f.estimatedOrActualDeparture)
            assertNull(p.display.giftCard)
            val m = p.display.messages.single()
            assertEquals("Delayed", m.header)
            assertEquals(PassMessageType.TEXT_AND_NOTIFY, m.messageType)
            assertEquals(ms("2027-03-05T12:00:00Z"), m.displayEnd!!.epochMs)
            assertEquals("https://example.invalid/status/LX318", p.display.links.single().uri)
            assertEquals("Baggage", p.display.textModules.single().header)
            assertEquals("VGML", p.display.infoRows.single()[1].value)
            assertEquals(47.4502, p.display.locations.single().latitude, 1e-9)
            assertEquals("https://example.invalid/alps.jpg", p.display.heroImageUri)
        }
    }

    @Test
    fun giftCardPinOnlyOnRequest() {
        Fixtures.openWallet().use { w ->
            w.importPassJson(File(display, "gift-card.json").readText())
            val p = w.getPass("3388000000022334455.gift-1")
            val g = p.display.giftCard!!
            assertTrue(g.hasPin)
            assertEquals("6006 4912 3456 7890", g.cardNumber)
            assertEquals("25.00 EUR", p.balance)
            assertFalse(p.toString().contains("8264"))
            assertEquals("8264", w.giftCardPin("3388000000022334455.gift-1"))
        }
    }

    @Test
    fun issuerUpdateThroughAKotlinTransport() {
        val url = "https://issuer.example.invalid/feed.cose"
        val body = File(WalletApiTest.fixtures, "pass-update-1.cose").readBytes()
        val requests = mutableListOf<HttpRequest>()
        val transport = object : HttpTransport {
            override fun send(request: HttpRequest): HttpResponse {
                requests.add(request)
                if (request.url != url) return HttpResponse(404u, emptyList(), ByteArray(0))
                return HttpResponse(200u, listOf(HttpHeader("ETag", "\"p1\"")), body)
            }
        }
        val listener = RecordingListener()
        val feed = PassFeedConfig(3388000000022334455uL, url, File(WalletApiTest.fixtures, "pass-feed.pub.pem").readText())
        val config = WalletConfig(lockedPolicy = LockedPolicy.REQUIRE_UNLOCK, passFeeds = listOf(feed))
        Fixtures.openWallet(listener = listener, transport = transport, config = config).use { w ->
            w.importPassJson(File(display, "gift-card.json").readText())
            val out = w.syncPassFeeds(true).single()
            assertTrue(out.toString(), out is PassFeedOutcome.Updated)
            val p = w.getPass("3388000000022334455.gift-1")
            assertEquals("50.00 EUR", p.balance)
            assertEquals("Topped up", p.display.messages.single().header)
            val changes = listener.events.filterIsInstance<WalletEvent.PassChanged>().map { it.change }
            assertEquals(2, changes.size)
            val balance = changes.filterIsInstance<PassChange.BalanceChanged>().single()
            assertEquals("25.00 EUR", balance.from)
            assertEquals("50.00 EUR", balance.to)
            assertEquals("Topped up", changes.filterIsInstance<PassChange.NewMessage>().single().message.header)
            // The same bundle again: the ETag makes it a 304-or-same, nothing re-applied.
            assertTrue(w.syncPassFeeds(true).single() is PassFeedOutcome.NotModified)
            assertEquals("\"p1\"", requests.last().headers.single { it.name.equals("if-none-match", true) }.value)
        }
    }

    @Test
    fun anUnverifiedSaveLinkIsRefused() {
        Fixtures.openWallet().use { w ->
            val jwt = File(WalletApiTest.fixtures, "../../../core/tests/fixtures/passes/good/all-verticals.jwt").readText()
            try {
                w.importPassJson(jwt); throw AssertionError("accepted")
            } catch (e: WalletException) {
                assertTrue(e.toString(), e.toString().contains("must be verified"))
            }
            assertTrue(w.listPasses().isEmpty())
        }
    }
}
