// The JDK-crypto terminal checked against e2e-loyalty-2018.json before it meets our handset:
// fed the vector's handset answers it must send the vector's commands byte for byte and
// decrypt "2018" from both GET DATA variants.
package dev.hcewallet.tests

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.security.Signature

class TerminalVectorTest {
    private val v = Vectors.e2e

    /** A card that replays the vector: each command must equal the expected one. */
    private class ScriptedCard(private val script: List<Pair<ByteArray, ByteArray>>) {
        var next = 0
        fun transmit(cmd: ByteArray): ByteArray {
            check(next < script.size) { "unexpected extra command ${cmd.hex()}" }
            val (expected, response) = script[next++]
            assertEquals("command #$next", expected.hex(), cmd.hex())
            return response
        }
    }

    private fun script(variant: Int): List<Pair<ByteArray, ByteArray>> =
        (0 until 3).map { v.str("steps", it, "command_hex").hex() to v.str("steps", it, "response_apdu_hex").hex() } +
            listOf(
                v.str("get_data", "variants", variant, "command_hex").hex() to
                    v.str("get_data", "variants", variant, "response_apdu_hex").hex(),
            )

    @Test
    fun variantANoPcrReadsTheVector() {
        val card = ScriptedCard(script(0))
        val result = SmartTapTerminal(Vectors.vectorConfig(null, byteArrayOf(0x03))).tap(card::transmit)
        assertEquals(4, card.next)
        val pass = result.outcome as TapOutcome.PassRead
        assertEquals("2018", pass.redemptionValue)
        assertEquals("ly", pass.serviceType)
        assertEquals((v.at("pass", "issuer_id_decimal") as Number).toLong(), pass.issuerId)
        assertEquals(v.str("pass", "object_id_record_value_hex"), pass.objectRef!!.hex())
        assertEquals(v.str("hkdf", "okm_hex"), result.okm!!.hex())
    }

    @Test
    fun variantBZlibReadsTheVector() {
        val card = ScriptedCard(script(1))
        val result = SmartTapTerminal(Vectors.vectorConfig("4100000004".hex(), byteArrayOf(0x00))).tap(card::transmit)
        assertEquals("2018", (result.outcome as TapOutcome.PassRead).redemptionValue)
    }

    @Test
    fun signedBytesAndSignaturesAgreeWithJdkEcdsa() {
        val signed = v.str("signature", "signed_bytes_hex").hex()
        val pub = P256.publicKeyFromPem(Vectors.collectorPublicPem)
        for (der in listOf(v.str("signature", "der_signature_hex"), v.str("signature", "same_signature_with_s_negated_der_hex"))) {
            val ok = Signature.getInstance("SHA256withECDSA").run { initVerify(pub); update(der.hex()); verify(der.hex()) }
            val verifies = Signature.getInstance("SHA256withECDSA").run { initVerify(pub); update(signed); verify(der.hex()) }
            assertFalse("a signature over itself must not verify", ok)
            assertTrue("vector signature verifies with the JDK", verifies)
        }
        // The JDK's own (randomised) signature over the same bytes verifies too.
        val mine = Signature.getInstance("SHA256withECDSA").run { initSign(Vectors.collectorKey); update(signed); sign() }
        assertTrue(Signature.getInstance("SHA256withECDSA").run { initVerify(pub); update(signed); verify(mine) })
    }

    @Test
    fun compressedPointsRoundTrip() {
        for (who in listOf("handset", "terminal")) {
            val c = v.str(who, "ephemeral_public_key_compressed_hex").hex()
            val u = v.str(who, "ephemeral_public_key_uncompressed_hex").hex()
            assertArrayEquals(c, P256.compressed(P256.publicKey(u)))
            assertArrayEquals(P256.publicKey(u).encoded, P256.publicKey(c).encoded)
        }
    }

    @Test
    fun flippedCiphertextBitIsRejectedBeforeDecrypting() {
        val bad = Vectors.negative.str("terminal_side", 0, "reb_payload_hex").hex()
        val good = script(0)
        val sesOut = "063f5d538c2bb8280401".hex()
        val srs = Ndef.encode(NdefRecord.ext("srs", Ndef.encode(NdefRecord.ext("ses", sesOut), NdefRecord.ext("reb", bad))))
        val card = ScriptedCard(good.dropLast(1) + (good.last().first to srs + byteArrayOf(0x90.toByte(), 0)))
        try {
            SmartTapTerminal(Vectors.vectorConfig(null, byteArrayOf(0x03))).tap(card::transmit)
            fail("tampered reb accepted")
        } catch (e: TerminalException) {
            assertTrue(e.message!!, e.message!!.contains("HMAC"))
        }
    }

    @Test
    fun statusWordsEndTheTap() {
        val s = script(0)
        for (code in listOf(0x9001, 0x9302, 0x9300)) {
            val swBytes = byteArrayOf((code shr 8).toByte(), code.toByte())
            val card = ScriptedCard(s.dropLast(1) + (s.last().first to swBytes))
            val r = SmartTapTerminal(Vectors.vectorConfig(null, byteArrayOf(0x03))).tap(card::transmit)
            assertEquals(TapOutcome.Ended("GET DATA", code), r.outcome)
        }
        val card = ScriptedCard(s.take(2) + (s[2].first to "9500".hex()))
        val r = SmartTapTerminal(Vectors.vectorConfig(null, byteArrayOf(0x03))).tap(card::transmit)
        assertEquals(TapOutcome.Ended("NEGOTIATE", 0x9500), r.outcome)
    }
}
