// A small JSON reader (objects → Map, arrays → List, numbers → Double/Long, strings,
// booleans, null) for the app's own look at imported files: enough to find pass objects and
// their barcode types. The core parses the same text again, authoritatively.
package dev.hcewallet.sample.logic

class JsonException(message: String) : Exception(message)

object MiniJson {
    fun parse(text: String): Any? {
        val p = Parser(text)
        val v = p.value()
        p.ws()
        if (p.i != text.length) throw JsonException("trailing data at ${p.i}")
        return v
    }

    private class Parser(val s: String) {
        var i = 0
        var depth = 0
        fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
        fun fail(m: String): Nothing = throw JsonException("$m at $i")
        fun value(): Any? {
            ws()
            if (i >= s.length) fail("unexpected end")
            return when (s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> lit("true", true)
                'f' -> lit("false", false)
                'n' -> lit("null", null)
                else -> num()
            }
        }
        fun lit(w: String, v: Any?): Any? {
            if (!s.startsWith(w, i)) fail("bad literal")
            i += w.length
            return v
        }
        fun obj(): Map<String, Any?> {
            if (++depth > 64) fail("too deep")
            i++
            val m = LinkedHashMap<String, Any?>()
            ws()
            if (i < s.length && s[i] == '}') { i++; depth--; return m }
            while (true) {
                ws()
                if (i >= s.length || s[i] != '"') fail("expected key")
                val k = str()
                ws()
                if (i >= s.length || s[i] != ':') fail("expected ':'")
                i++
                m[k] = value()
                ws()
                if (i >= s.length) fail("unexpected end")
                when (s[i++]) { ',' -> continue; '}' -> { depth--; return m }; else -> fail("expected ',' or '}'") }
            }
        }
        fun arr(): List<Any?> {
            if (++depth > 64) fail("too deep")
            i++
            val l = ArrayList<Any?>()
            ws()
            if (i < s.length && s[i] == ']') { i++; depth--; return l }
            while (true) {
                l.add(value())
                ws()
                if (i >= s.length) fail("unexpected end")
                when (s[i++]) { ',' -> continue; ']' -> { depth--; return l }; else -> fail("expected ',' or ']'") }
            }
        }
        fun str(): String {
            i++
            val b = StringBuilder()
            while (true) {
                if (i >= s.length) fail("unterminated string")
                val c = s[i++]
                when (c) {
                    '"' -> return b.toString()
                    '\\' -> {
                        if (i >= s.length) fail("bad escape")
                        when (val e = s[i++]) {
                            'n' -> b.append('\n'); 't' -> b.append('\t'); 'r' -> b.append('\r')
                            'b' -> b.append('\b'); 'f' -> b.append('\u000C')
                            'u' -> { if (i + 4 > s.length) fail("bad \\u"); b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                            else -> b.append(e)
                        }
                    }
                    else -> b.append(c)
                }
            }
        }
        fun num(): Any {
            val start = i
            while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
            val t = s.substring(start, i)
            if (t.isEmpty()) fail("unexpected character")
            return t.toLongOrNull() ?: t.toDoubleOrNull() ?: fail("bad number")
        }
    }
}
