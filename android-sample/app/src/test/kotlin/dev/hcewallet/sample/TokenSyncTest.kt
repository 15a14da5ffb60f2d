package dev.hcewallet.sample

import dev.hcewallet.LockedPolicy
import dev.hcewallet.TokenRequestKind
import dev.hcewallet.TokenState
import dev.hcewallet.TokenStatusOutcome
import dev.hcewallet.Wallet
import dev.hcewallet.sample.logic.HttpUrlTransport
import dev.hcewallet.sample.logic.SampleConfig
import dev.hcewallet.sample.logic.TokenSyncText
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.security.KeyStore
import java.security.cert.CertificateFactory
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/**
 * Token sync as the app runs it (Wallet.syncTokens through the app's HttpUrlTransport) against
 * the HTTPS nginx of scripts/android-sample-nginx.sh playing the token service: the user's
 * report-lost request is POSTed with its Idempotency-Key, the device's signed status window
 * (an issuer suspension) is applied, then 304s — also after a reopen.
 */
class TokenSyncTest {
    private val base = System.getenv("HCE_NGINX_URL") ?: error("run under scripts/android-sample-nginx.sh (HCE_NGINX_URL)")
    private val postLog = File(System.getenv("HCE_NGINX_POST_LOG"))
    private val transport by lazy {
        val cert = File(System.getenv("HCE_NGINX_CERT")).inputStream().use { CertificateFactory.getInstance("X.509").generateCertificate(it) }
        val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null); setCertificateEntry("nginx", cert) }
        val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(ks) }
        HttpUrlTransport(SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }.socketFactory)
    }
    private val dir = Dirs.temp("token-sync")

    private fun open(): Wallet {
        val pem = File(Dirs.fixtures, "token-service.pub.pem").readText()
        val config = SampleConfig.walletConfig(emptyList(), null, LockedPolicy.REQUIRE_UNLOCK, listOf(pem),
            SampleConfig.DEMO_DEVICE_ID, tokenServiceUrl = "$base/tsp")
        return Wallet.open(File(dir, "w.redb").path, ByteArray(32) { 3 }, config, null, transport)
    }

    @Test
    fun requestsGoOutTheStatusWindowAppliesAndThen304() {
        open().use { w ->
            w.provisionToken(File(Dirs.fixtures, "token-provision.cose").readBytes())
            w.reportLost("tok-0")
            assertEquals(listOf(TokenRequestKind.REPORT_LOST), w.pendingTokenRequests().map { it.kind })

            val r = w.syncTokens(true)
            assertEquals(1u, r.requestsSent)
            assertEquals(0u, r.requestsWaiting)
            assertTrue(r.toString(), r.status is TokenStatusOutcome.Applied && (r.status as TokenStatusOutcome.Applied).sequence == 1uL)
            assertTrue("the report lost left the queue", w.pendingTokenRequests().isEmpty())
            val t = w.tokens().single()
            assertEquals(TokenState.SUSPENDED, t.state)
            // nginx logs quotes in the body as \x22, and writes the line after the answer left.
            Logs.awaitLine(postLog) { it.contains("request\\x22:\\x22report_lost") }
            val posted = postLog.readLines().filter { it.contains("request\\x22:\\x22report_lost") }
            assertEquals(posted.toString(), 1, posted.size)
            assertTrue(posted[0], posted[0].startsWith("POST 204 ") && !posted[0].contains("\"\""))
            assertTrue(TokenSyncText.summary(r), TokenSyncText.summary(r).startsWith("1 request(s) sent"))

            assertEquals(TokenStatusOutcome.NotModified, w.syncTokens(true).status)
        }
        open().use { w ->
            val r = w.syncTokens(true)
            assertEquals("the ETag survived the reopen", TokenStatusOutcome.NotModified, r.status)
            assertEquals(TokenState.SUSPENDED, w.tokens().single().state)
            assertEquals("Cards are up to date.", TokenSyncText.summary(r))
        }
    }
}
