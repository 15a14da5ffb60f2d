// Small codecs the JDK lacks, written for the test terminal only: hex, NDEF (NFC Forum
// NDEF 1.0, as spec §4.1 describes it), BER-TLV (for the SELECT OSE FCI, spec §6.1) and a
// minimal JSON reader for the shared vectors. Deliberately independent of the Rust core.
package dev.hcewallet.tests

import java.io.ByteArrayOutputStream

fun String.hex(): ByteArray {
    val s = this.filterNot { it.isWhitespace() }
    require(s.length % 2 == 0) { "odd-length hex" }
    return ByteArray(s.length / 2) { i -> s.substring(2 * i, 2 * i + 2).toInt(16).toByte() }
}

fun ByteArray.hex(): String = joinToString("") { "%02x".format(it.toInt() and 0xFF) }

fun bytes(vararg parts: ByteArray): ByteArray {
    val out = ByteArrayOutputStream()
    parts.forEach { out.write(it) }
    return out.toByteArray()
}

fun be32(v: Int): ByteArray =
    byteArrayOf((v ushr 24).toByte(), (v ushr 16).toByte(), (v ushr 8).toByte(), v.toByte())

/** One NDEF record. The Smart Tap short name is the type for TNF 4, the ID for TNF 1 (§4.2). */
class NdefRecord(val tnf: Int, val type: ByteArray, val id: ByteArray, val payload: ByteArray) {
    val typeName: String get() = String(type, Charsets.US_ASCII)
    val idName: String get() = String(id, Charsets.US_ASCII)

    /** The Smart Tap name of this record, per the §4.2 matching rule. */
    val name: String get() = if (tnf == TNF_WELL_KNOWN && id.isNotEmpty()) idName else typeName

    companion object {
        const val TNF_WELL_KNOWN = 1
        const val TNF_EXTERNAL = 4

        fun ext(name: String, payload: ByteArray) =
            NdefRecord(TNF_EXTERNAL, name.toByteArray(Charsets.US_ASCII), ByteArray(0), payload)
    }
}

class NdefException(msg: String) : Exception(msg)

object Ndef {
    private const val MB = 0x80
    private const val ME = 0x40
    private const val CF = 0x20
    private const val SR = 0x10
    private const val IL = 0x08

    fun encode(records: List<NdefRecord>): ByteArray {
        val out = ByteArrayOutputStream()
        records.forEachIndexed { i, r ->
            var header = r.tnf
            if (i == 0) header = header or MB
            if (i == records.size - 1) header = header or ME
            val short = r.payload.size < 256
            if (short) header = header or SR
            if (r.id.isNotEmpty()) header = header or IL
            out.write(header)
            out.write(r.type.size)
            if (short) out.write(r.payload.size) else out.write(be32(r.payload.size))
            if (r.id.isNotEmpty()) out.write(r.id.size)
            out.write(r.type)
            out.write(r.id)
            out.write(r.payload)
        }
        return out.toByteArray()
    }

    fun encode(vararg records: NdefRecord): ByteArray = encode(records.toList())

    /** Strict parse: MB first, ME last with nothing after it, no chunking. */
    fun parse(bytes: ByteArray): List<NdefRecord> {
        val records = ArrayList<NdefRecord>()
        var pos = 0
        fun take(n: Int): ByteArray {
            if (n < 0 || pos + n > bytes.size) throw NdefException("truncated NDEF at offset $pos")
            return bytes.copyOfRange(pos, pos + n).also { pos += n }
        }
        fun u8(): Int = take(1)[0].toInt() and 0xFF
        while (true) {
            val header = u8()
            if (records.isEmpty() != (header and MB != 0)) throw NdefException("MB flag misplaced")
            if (header and CF != 0) throw NdefException("chunked record")
            val typeLen = u8()
            val payloadLen = if (header and SR != 0) u8() else {
                val b = take(4)
                val len = ((b[0].toLong() and 0xFF) shl 24) or ((b[1].toLong() and 0xFF) shl 16) or
                    ((b[2].toLong() and 0xFF) shl 8) or (b[3].toLong() and 0xFF)
                if (len > bytes.size) throw NdefException("payload length $len too large")
                len.toInt()
            }
            val idLen = if (header and IL != 0) u8() else 0
            val type = take(typeLen)
            val id = take(idLen)
            val payload = take(payloadLen)
            records.add(NdefRecord(header and 0x07, type, id, payload))
            if (header and ME != 0) {
                if (pos != bytes.size) throw NdefException("${bytes.size - pos} bytes after ME")
                return records
            }
            if (pos >= bytes.size) throw NdefException("message ends without ME")
        }
    }
}

fun List<NdefRecord>.named(name: String): NdefRecord? = firstOrNull { it.name == name }

fun List<NdefRecord>.require(name: String): NdefRecord =
    named(name) ?: throw NdefException("record '$name' missing (have ${map { it.name }})")

/** BER-TLV node (ISO/IEC 7816-4 §5.2): multi-byte tags, lengths up to 81/82. */
class Tlv(val tag: Int, val value: ByteArray, val children: List<Tlv>) {
    fun find(tag: Int): Tlv? {
        if (this.tag == tag) return this
        for (c in children) c.find(tag)?.let { return it }
        return null
    }
}

object BerTlv {
    fun parse(bytes: ByteArray, depth: Int = 0): List<Tlv> {
        if (depth > 8) throw IllegalArgumentException("TLV nested too deep")
        val out = ArrayList<Tlv>()
        var pos = 0
        fun u8(): Int {
            if (pos >= bytes.size) throw IllegalArgumentException("truncated TLV")
            return bytes[pos++].toInt() and 0xFF
        }
        while (pos < bytes.size) {
            val first = u8()
            var tag = first
            if (first and 0x1F == 0x1F) {
                do {
                    val b = u8()
                    tag = (tag shl 8) or b
                } while (b and 0x80 != 0)
            }
            val l = u8()
            val len = when {
                l < 0x80 -> l
                l == 0x81 -> u8()
                l == 0x82 -> (u8() shl 8) or u8()
                else -> throw IllegalArgumentException("unsupported TLV length form %02x".format(l))
            }
            if (pos + len > bytes.size) throw IllegalArgumentException("TLV value overruns")
            val value = bytes.copyOfRange(pos, pos + len)
            pos += len
            val constructed = first and 0x20 != 0
            out.add(Tlv(tag, value, if (constructed) parse(value, depth + 1) else emptyList()))
        }
        return out
    }
}

/** Enough JSON for the shared vector files: objects, arrays, strings, numbers, literals. */
object MiniJson {
    fun parse(text: String): Any? {
        val p = Parser(text)
        val v = p.value()
        p.ws()
        require(p.i == text.length) { "trailing JSON at ${p.i}" }
        return v
    }

    private class Parser(val s: String) {
        var i = 0
        fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
        fun value(): Any? {
            ws()
            return when (val c = s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> lit("true", true)
                'f' -> lit("false", false)
                'n' -> lit("null", null)
                else -> if (c == '-' || c.isDigit()) num() else error("bad JSON at $i")
            }
        }
        fun lit(word: String, v: Any?): Any? {
            require(s.startsWith(word, i)) { "bad literal at $i" }
            i += word.length
            return v
        }
        fun num(): Any {
            val start = i
            while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
            val t = s.substring(start, i)
            return t.toLongOrNull() ?: t.toBigDecimal()
        }
        fun str(): String {
            i++
            val sb = StringBuilder()
            while (s[i] != '"') {
                if (s[i] == '\\') {
                    i++
                    when (val e = s[i]) {
                        'n' -> sb.append('\n'); 't' -> sb.append('\t'); 'r' -> sb.append('\r')
                        'b' -> sb.append('\b'); 'f' -> sb.append('\u000c')
                        'u' -> { sb.append(s.substring(i + 1, i + 5).toInt(16).toChar()); i += 4 }
                        else -> sb.append(e)
                    }
                    i++
                } else sb.append(s[i++])
            }
            i++
            return sb.toString()
        }
        fun arr(): List<Any?> {
            i++
            val out = ArrayList<Any?>()
            ws()
            if (s[i] == ']') { i++; return out }
            while (true) {
                out.add(value()); ws()
                if (s[i] == ',') { i++; continue }
                require(s[i] == ']') { "expected ] at $i" }
                i++
                return out
            }
        }
        fun obj(): Map<String, Any?> {
            i++
            val out = LinkedHashMap<String, Any?>()
            ws()
            if (s[i] == '}') { i++; return out }
            while (true) {
                ws(); val k = str(); ws()
                require(s[i] == ':') { "expected : at $i" }
                i++
                out[k] = value(); ws()
                if (s[i] == ',') { i++; continue }
                require(s[i] == '}') { "expected } at $i" }
                i++
                return out
            }
        }
    }
}

/** Path access into parsed JSON: `json.at("steps", 0, "command_hex")`. */
fun Any?.at(vararg path: Any): Any? = path.fold(this) { node, key ->
    when (key) {
        is String -> (node as Map<*, *>)[key]
        is Int -> (node as List<*>)[key]
        else -> error("bad path element $key")
    }
}

fun Any?.str(vararg path: Any): String = at(*path) as String
