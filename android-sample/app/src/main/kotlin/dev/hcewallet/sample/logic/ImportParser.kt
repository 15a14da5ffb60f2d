// Turns a shared or opened file into the JSON Wallet.importPassJson takes: Google Wallet
// JSON (classes and objects), a save-to-wallet JWT (compact form: its payload is decoded;
// the signature is the issuer's business with Google and is not checked here), a JWT's
// claims JSON, or a text holding a pay.google.com/gp/v/save/<jwt> link. It also notes each
// object's barcode (type and value): PassInfo carries the value but not the symbology.
package dev.hcewallet.sample.logic

import java.util.Base64

class ImportFormatException(message: String) : Exception(message)

data class BarcodeSpec(val type: String, val value: String, val alternateText: String?)

data class ParsedImport(
    /** What to hand to Wallet.importPassJson. */
    val json: String,
    /** "json", "jwt" or "link". */
    val source: String,
    /** Object ID → its barcode, for objects that have one. */
    val barcodes: Map<String, BarcodeSpec>,
    val objectIds: List<String>,
)

object ImportParser {
    const val MAX_BYTES = 1 shl 20
    private val saveLink = Regex("""https://pay\.google\.com/gp/v/save/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)""")
    private val compactJwt = Regex("""^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*$""")

    fun parse(bytes: ByteArray): ParsedImport {
        if (bytes.size > MAX_BYTES) throw ImportFormatException("file over ${MAX_BYTES / 1024} KiB")
        var text = String(bytes, Charsets.UTF_8)
        if (text.startsWith("\uFEFF")) text = text.substring(1)
        text = text.trim()
        if (text.isEmpty()) throw ImportFormatException("empty file")
        return when {
            text.startsWith("{") -> fromJson(text, "json")
            compactJwt.matches(text) -> fromJson(jwtPayload(text), "jwt")
            else -> {
                val m = saveLink.find(text) ?: throw ImportFormatException("neither pass JSON, a JWT nor a save link")
                fromJson(jwtPayload(m.groupValues[1]), "link")
            }
        }
    }

    fun jwtPayload(jwt: String): String {
        val parts = jwt.split('.')
        if (parts.size != 3) throw ImportFormatException("a JWT has three parts")
        return try {
            String(Base64.getUrlDecoder().decode(parts[1].trimEnd('=')), Charsets.UTF_8)
        } catch (e: IllegalArgumentException) {
            throw ImportFormatException("JWT payload is not base64url")
        }
    }

    private fun fromJson(json: String, source: String): ParsedImport {
        val root = try { MiniJson.parse(json) } catch (e: JsonException) {
            throw ImportFormatException("not JSON: ${e.message}")
        } as? Map<*, *> ?: throw ImportFormatException("JSON must be an object")
        // A save-to-wallet JWT's claims hold the passes under "payload".
        val passes = (root["payload"] as? Map<*, *>) ?: root
        val objects = passes.entries
            .filter { (k, _) -> k is String && k.endsWith("Objects") }
            .flatMap { (_, v) -> (v as? List<*>).orEmpty() }
            .filterIsInstance<Map<*, *>>()
        if (objects.isEmpty()) throw ImportFormatException("no pass objects (…Objects arrays) in the file")
        val ids = objects.map { it["id"] as? String ?: throw ImportFormatException("a pass object without an id") }
        val barcodes = LinkedHashMap<String, BarcodeSpec>()
        for ((o, id) in objects.zip(ids)) {
            val b = o["barcode"] as? Map<*, *> ?: continue
            val type = b["type"] as? String ?: continue
            val value = b["value"] as? String ?: continue
            barcodes[id] = BarcodeSpec(type, value, b["alternateText"] as? String)
        }
        return ParsedImport(json, source, barcodes, ids)
    }
}
