// A file from the bank's token service, opened or shared with the app: a signed provisioning
// payload (a new card, or a top-up of its keys) or a signed status message (e.g. the bank's
// confirmation of a resume). Both are COSE_Sign1 (payment spec §12; the wallet verifies the
// signature, device and sequence); they may arrive raw or as base64 / base64url text (a mail
// or chat share). This class only recognises and routes them: which call, never trust.
// Hand-written: recognising needs the protected header's content type, three CBOR length
// forms — no CBOR library for that.
package dev.hcewallet.sample.logic

import dev.hcewallet.Wallet
import java.util.Base64

object TokenImport {
    const val MAX_BYTES = 64 * 1024
    /** The content types of the token service's messages (core payment::provisioning). */
    const val PROVISIONING = "application/vnd.hce-wallet.token-provisioning+cbor"
    const val STATUS = "application/vnd.hce-wallet.token-status+cbor"

    enum class Kind { PROVISIONING, STATUS }

    data class Message(val kind: Kind, val bytes: ByteArray)

    /** The message in [bytes], or null when they are not a token-service message at all. */
    fun recognise(bytes: ByteArray): Message? {
        if (bytes.size > MAX_BYTES) return null
        val raw = if (isCoseSign1(bytes)) bytes else fromText(bytes) ?: return null
        val type = protectedHeader(raw)?.let { String(it, Charsets.ISO_8859_1) } ?: return null
        val kind = when {
            type.contains(PROVISIONING) -> Kind.PROVISIONING
            type.contains(STATUS) -> Kind.STATUS
            else -> return null
        }
        return Message(kind, raw)
    }

    /** Tag 18 (COSE_Sign1) then an array of 4. */
    private fun isCoseSign1(b: ByteArray) = b.size > 4 && b[0] == 0xD2.toByte() && b[1] == 0x84.toByte()

    private fun fromText(bytes: ByteArray): ByteArray? {
        val text = String(bytes, Charsets.UTF_8).filterNot { it.isWhitespace() }.trimEnd('=')
        if (text.isEmpty() || !text.all { it.isLetterOrDigit() || it in "+/-_" }) return null
        val decoded = try {
            if (text.any { it == '+' || it == '/' }) Base64.getDecoder().decode(text.padEnd((text.length + 3) / 4 * 4, '='))
            else Base64.getUrlDecoder().decode(text)
        } catch (e: IllegalArgumentException) { return null }
        return decoded.takeIf(::isCoseSign1)
    }

    /** The protected header's bytes (a CBOR byte string right after tag and array head). */
    private fun protectedHeader(b: ByteArray): ByteArray? {
        val head = b[2].toInt() and 0xFF
        if (head shr 5 != 2) return null
        val (len, start) = when (val info = head and 0x1F) {
            in 0..23 -> info to 3
            24 -> (b[3].toInt() and 0xFF) to 4
            25 -> if (b.size > 4) (((b[3].toInt() and 0xFF) shl 8) or (b[4].toInt() and 0xFF)) to 5 else return null
            else -> return null
        }
        return if (start + len <= b.size) b.copyOfRange(start, start + len) else null
    }

    /**
     * Hands [m] to the wallet (blocking: store I/O) and says what came of it. A new card
     * needs a screen lock: without one the phone cannot verify the user (CDCVM, spec §10).
     */
    fun apply(wallet: Wallet, m: Message, deviceSecure: Boolean): String {
        if (m.kind == Kind.PROVISIONING && !deviceSecure) {
            throw ImportFormatException("set a screen lock first: cards pay only on a phone that can verify you")
        }
        val before = wallet.tokens().map { it.tokenRef }.toSet()
        return when (m.kind) {
            Kind.PROVISIONING -> {
                wallet.provisionToken(m.bytes)
                val added = wallet.tokens().filter { it.tokenRef !in before }
                if (added.isEmpty()) "Payment keys topped up"
                else "Added " + added.joinToString { TokenScreen.title(it) + " (" + TokenScreen.state(it) + ")" }
            }
            Kind.STATUS -> { wallet.applyTokenStatus(m.bytes); "Your bank's update was applied" }
        }
    }
}
