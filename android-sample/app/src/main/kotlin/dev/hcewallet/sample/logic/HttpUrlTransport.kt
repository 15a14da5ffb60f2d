// The bindings' HttpTransport over HttpURLConnection (framework API on Android, JDK on the
// desktop). HTTPS only; connect and read timeouts plus one overall deadline (timeoutMs of
// the request, enforced by disconnecting); the body capped at maxBodyBytes; redirects not
// followed; no HTTP cache (the core sends If-None-Match with the ETag it keeps, and a 304
// comes back to it as a 304). GET for signed documents (key bundles, token status), POST with
// a body for outbox deliveries and replenishment (the content type and Idempotency-Key are
// among the request's headers). Sync calls it on a worker thread, never the HCE or UI one.
package dev.hcewallet.sample.logic

import dev.hcewallet.HttpException
import dev.hcewallet.HttpHeader
import dev.hcewallet.HttpMethod
import dev.hcewallet.HttpRequest
import dev.hcewallet.HttpResponse
import dev.hcewallet.HttpTransport
import java.io.IOException
import java.io.InputStream
import java.net.ConnectException
import java.net.MalformedURLException
import java.net.SocketTimeoutException
import java.net.URL
import java.net.UnknownHostException
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import javax.net.ssl.HttpsURLConnection
import javax.net.ssl.SSLException
import javax.net.ssl.SSLSocketFactory

class HttpUrlTransport(
    /** Tests pass a factory that trusts their own CA; null = the platform's trust store. */
    private val sslSocketFactory: SSLSocketFactory? = null,
    /** Android: ConnectivityManager's active network state; reports HttpException.Offline. */
    private val isOnline: () -> Boolean = { true },
    private val userAgent: String = "hce-wallet-sample/0.1",
) : HttpTransport {
    companion object {
        private val watchdog: ScheduledExecutorService = Executors.newSingleThreadScheduledExecutor { r ->
            Thread(r, "http-deadline").apply { isDaemon = true }
        }
    }

    override fun send(request: HttpRequest): HttpResponse {
        val url = try { URL(request.url) } catch (e: MalformedURLException) {
            throw HttpException.Other("bad URL")
        }
        if (url.protocol != "https") throw HttpException.Other("cleartext refused: ${url.protocol}:// (https only)")
        if (!isOnline()) throw HttpException.Offline("no active network")
        val timeout = request.timeoutMs.toLong().coerceIn(1, Int.MAX_VALUE.toLong()).toInt()
        val conn = url.openConnection() as HttpsURLConnection
        sslSocketFactory?.let { conn.sslSocketFactory = it }
        conn.connectTimeout = timeout
        conn.readTimeout = timeout
        conn.instanceFollowRedirects = false
        conn.useCaches = false
        conn.requestMethod = when (request.method) { HttpMethod.GET -> "GET"; HttpMethod.POST -> "POST" }
        conn.setRequestProperty("User-Agent", userAgent)
        conn.setRequestProperty("Accept-Encoding", "identity")
        for (h in request.headers) conn.setRequestProperty(h.name, h.value)
        val expired = AtomicBoolean(false)
        val deadline = watchdog.schedule({ expired.set(true); conn.disconnect() }, timeout.toLong(), TimeUnit.MILLISECONDS)
        try {
            if (request.method == HttpMethod.POST) {
                conn.doOutput = true
                conn.setFixedLengthStreamingMode(request.body.size)
                conn.outputStream.use { it.write(request.body) }
            }
            val status = conn.responseCode
            val headers = conn.headerFields.flatMap { (name, values) ->
                if (name == null) emptyList() else values.map { HttpHeader(name, it) }
            }
            val length = conn.contentLengthLong
            if (length > 0 && length.toULong() > request.maxBodyBytes) {
                throw HttpException.TooLarge("Content-Length $length > ${request.maxBodyBytes}")
            }
            val stream: InputStream? = if (status >= 400) conn.errorStream else conn.inputStream
            val body = stream?.use { readCapped(it, request.maxBodyBytes) } ?: ByteArray(0)
            if (expired.get()) throw HttpException.Timeout("deadline of $timeout ms passed")
            return HttpResponse(status.toUShort(), headers, body)
        } catch (e: HttpException) {
            throw e
        } catch (e: SocketTimeoutException) {
            throw HttpException.Timeout("no answer within $timeout ms")
        } catch (e: IOException) {
            if (expired.get()) throw HttpException.Timeout("deadline of $timeout ms passed")
            throw when (e) {
                is UnknownHostException -> HttpException.Connect("unknown host ${url.host}")
                is ConnectException -> HttpException.Connect(e.message ?: "connection refused")
                is SSLException -> HttpException.Connect("TLS: ${e.message}")
                else -> HttpException.Other("${e.javaClass.simpleName}: ${e.message}")
            }
        } finally {
            deadline.cancel(false)
            conn.disconnect()
        }
    }

    private fun readCapped(input: InputStream, max: ULong): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        val buf = ByteArray(8192)
        while (true) {
            val n = input.read(buf)
            if (n < 0) break
            out.write(buf, 0, n)
            if (out.size().toULong() > max) throw HttpException.TooLarge("body over $max bytes")
        }
        return out.toByteArray()
    }
}

/**
 * The sample's demo mode: [demoUrl] is answered from the key bundle shipped in the app's
 * assets (signed by the pinned demo root, for Google's published test collector), so a tap
 * works without a server; every other URL goes to [network]. A product has no such class.
 */
class DemoBundleTransport(
    private val demoUrl: String,
    private val bundle: () -> ByteArray,
    private val network: HttpTransport,
) : HttpTransport {
    override fun send(request: HttpRequest): HttpResponse {
        if (request.url != demoUrl || request.method != HttpMethod.GET) return network.send(request)
        val body = bundle()
        val etag = "\"demo-" + Integer.toHexString(body.contentHashCode()) + "\""
        val sent = request.headers.firstOrNull { it.name.equals("If-None-Match", true) }?.value
        if (sent == etag) return HttpResponse(304u, listOf(HttpHeader("ETag", etag)), ByteArray(0))
        return HttpResponse(200u, listOf(HttpHeader("ETag", etag)), body)
    }
}
