package dev.hcewallet.sample

import dev.hcewallet.HttpException
import dev.hcewallet.HttpHeader
import dev.hcewallet.HttpMethod
import dev.hcewallet.HttpRequest
import dev.hcewallet.LockedPolicy
import dev.hcewallet.SyncOutcome
import dev.hcewallet.Wallet
import dev.hcewallet.WalletConfig
import dev.hcewallet.sample.logic.HttpUrlTransport
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.io.File
import java.net.ServerSocket
import java.security.KeyStore
import java.security.cert.CertificateFactory
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLSocketFactory
import javax.net.ssl.TrustManagerFactory
import kotlin.concurrent.thread

/** Against the HTTPS nginx of scripts/android-sample-nginx.sh (HCE_NGINX_URL, HCE_NGINX_CERT). */
class HttpUrlTransportTest {
    private val base = System.getenv("HCE_NGINX_URL") ?: error("run under scripts/android-sample-nginx.sh (HCE_NGINX_URL)")
    private val accessLog = File(System.getenv("HCE_NGINX_LOG"))
    private val trusting: SSLSocketFactory by lazy {
        val cert = File(System.getenv("HCE_NGINX_CERT")).inputStream().use { CertificateFactory.getInstance("X.509").generateCertificate(it) }
        val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null); setCertificateEntry("nginx", cert) }
        val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(ks) }
        SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }.socketFactory
    }
    private val transport by lazy { HttpUrlTransport(trusting) }
    private val bundle = File(Dirs.fixtures, "key-bundle.cose").readBytes()

    private fun req(path: String, timeoutMs: Long = 5000, max: Long = 65536, headers: List<HttpHeader> = emptyList()) =
        HttpRequest(HttpMethod.GET, if (path.contains("://")) path else base + path, headers, ByteArray(0), timeoutMs.toULong(), max.toULong())

    private fun etag(h: List<HttpHeader>) = h.single { it.name.equals("ETag", true) }.value

    @Test
    fun ok200ThenNotModified304WithTheEtag() {
        val r = transport.send(req("/bundle.cose"))
        assertEquals(200, r.status.toInt())
        assertArrayEquals(bundle, r.body)
        val tag = etag(r.headers)
        val again = transport.send(req("/bundle.cose", headers = listOf(HttpHeader("If-None-Match", tag))))
        assertEquals(304, again.status.toInt())
        assertEquals(0, again.body.size)
        assertTrue("nginx saw If-None-Match (it logs quotes as \\x22)", accessLog.readLines().any { it.startsWith("304 ") && it.contains(tag.trim('"')) })
    }

    @Test
    fun aPostSendsItsBodyContentTypeAndIdempotencyKey() {
        val body = "{\"kind\":\"report_lost\"}".toByteArray()
        val headers = listOf(HttpHeader("content-type", "application/json"), HttpHeader("idempotency-key", "ev-42"))
        val r = transport.send(HttpRequest(HttpMethod.POST, "$base/post", headers, body, 5000u, 65536u))
        assertEquals(200, r.status.toInt())
        assertArrayEquals(bundle, r.body)
        // nginx writes the log line after the answer left: wait for it (other tests POST too).
        val line = Logs.awaitLine(File(System.getenv("HCE_NGINX_POST_LOG"))) { it.contains("\"ev-42\"") }
        assertTrue(line, line.startsWith("POST 200 \"ev-42\" \"application/json\" "))
        assertTrue(line, line.contains("report_lost"))
    }

    @Test
    fun fiveHundredsComeBackAsResponses() {
        assertEquals(503, transport.send(req("/err503")).status.toInt())
        assertEquals(404, transport.send(req("/missing")).status.toInt())
    }

    @Test
    fun aSlowBodyHitsTheOverallDeadline() {
        val t0 = System.nanoTime()
        try { transport.send(req("/slow", timeoutMs = 800)); fail() } catch (e: HttpException.Timeout) { }
        val ms = (System.nanoTime() - t0) / 1_000_000
        assertTrue("gave up after $ms ms", ms in 700..4000)
    }

    @Test
    fun aServerThatNeverAnswersTimesOut() {
        ServerSocket(0).use { server ->
            val held = ArrayList<java.net.Socket>()
            val t = thread(isDaemon = true) { try { while (true) held += server.accept() } catch (e: Exception) { } }
            try { transport.send(req("https://127.0.0.1:${server.localPort}/x", timeoutMs = 500)); fail() } catch (e: HttpException.Timeout) { }
            held.forEach { it.close() }
            t.interrupt()
        }
    }

    @Test
    fun tooLargeCleartextRedirectUntrustedOffline() {
        try { transport.send(req("/big", max = 1 shl 20)); fail() } catch (e: HttpException.TooLarge) { }
        try { transport.send(req(base.replace("https://", "http://") + "/bundle.cose")); fail() } catch (e: HttpException.Other) {
            assertTrue(e.message!!, e.message!!.contains("cleartext"))
        }
        // A redirect (here to http://) is not followed: the core sees the 302.
        assertEquals(302, transport.send(req("/redirect")).status.toInt())
        // The platform trust store does not know nginx's self-signed certificate.
        try { HttpUrlTransport().send(req("/bundle.cose")); fail() } catch (e: HttpException.Connect) {
            assertTrue(e.message!!, e.message!!.contains("TLS"))
        }
        try { HttpUrlTransport(trusting, isOnline = { false }).send(req("/bundle.cose")); fail() } catch (e: HttpException.Offline) { }
    }

    @Test
    fun theWalletSyncsThroughItUpdatedNotModifiedAndBacksOffOn503() {
        val root = File(Dirs.fixtures, "bundle-root.pub.pem").readText()
        fun open(url: String) = Wallet.open(
            File(Dirs.temp("hce-sync"), "wallet.redb").path, ByteArray(32) { (it + 1).toByte() },
            WalletConfig(pinnedBundleRoots = listOf(root), syncUrl = url, lockedPolicy = LockedPolicy.REQUIRE_UNLOCK), null, transport,
        )
        open("$base/bundle.cose").use { w ->
            assertEquals(SyncOutcome.Updated(1uL, 1u), w.syncNow())
            assertEquals(SyncOutcome.NotModified, w.syncNow())
            assertTrue("the core sent If-None-Match", accessLog.readLines().any { it.startsWith("304 ") && it.contains("/bundle.cose") && !it.endsWith("\"-\"") })
        }
        open("$base/err503").use { w ->
            val r = w.syncNow()
            assertTrue("$r", r is SyncOutcome.Failed)
            assertNotNull("a back-off time", (r as SyncOutcome.Failed).retryAtMs)
            assertNotNull(w.syncStatus().nextAttemptMs)
        }
    }
}
