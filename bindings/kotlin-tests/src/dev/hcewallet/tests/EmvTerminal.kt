// A contactless EMV reader written with the JDK only (javax.crypto), independent of the
// Rust code: SELECT PPSE → SELECT AID → GET PROCESSING OPTIONS with the PDOL filled by tag →
// READ RECORD of every AFL record, then the cryptogram verified under the generic profile
// of payment spec §9.4: SK = CSK(LUK, ATC ‖ 00×6) (DESede/ECB/NoPadding), AC = ISO/IEC
// 9797-1 MAC algorithm 3, padding method 2 (single DES CBC under the left key half, then
// D_right / E_left) over 9F02 ‖ 9F03 ‖ 9F1A ‖ 95 ‖ 5F2A ‖ 9A ‖ 9C ‖ 9F37 ‖ 82 ‖ 9F36 ‖ CVR.
package dev.hcewallet.tests

import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.spec.SecretKeySpec

object GenericProfile {
    private fun ecb(alg: String, mode: Int, key: ByteArray, block: ByteArray): ByteArray {
        val c = Cipher.getInstance("$alg/ECB/NoPadding")
        c.init(mode, SecretKeySpec(key, alg))
        return c.doFinal(block)
    }

    /** Double-length TDES (K1 ‖ K2 ‖ K1) of one block. */
    fun tdes(key16: ByteArray, block: ByteArray): ByteArray =
        ecb("DESede", Cipher.ENCRYPT_MODE, key16 + key16.copyOfRange(0, 8), block)

    /** EMV common session key: TDES(R, byte 3 = F0) ‖ TDES(R, byte 3 = 0F). */
    fun sessionKey(luk: ByteArray, atc: Int): ByteArray {
        val r = byteArrayOf((atc shr 8).toByte(), atc.toByte(), 0, 0, 0, 0, 0, 0)
        val left = r.copyOf().also { it[2] = 0xF0.toByte() }
        val right = r.copyOf().also { it[2] = 0x0F }
        return tdes(luk, left) + tdes(luk, right)
    }

    /** ISO/IEC 9797-1 MAC algorithm 3, padding method 2, 8 bytes. */
    fun retailMac(key16: ByteArray, data: ByteArray): ByteArray {
        val kl = key16.copyOfRange(0, 8)
        val kr = key16.copyOfRange(8, 16)
        val padLen = 8 - (data.size + 1) % 8
        val padded = data + byteArrayOf(0x80.toByte()) + ByteArray(if (padLen == 8) 0 else padLen)
        var state = ByteArray(8)
        for (i in padded.indices step 8) {
            val x = ByteArray(8) { (state[it].toInt() xor padded[i + it].toInt()).toByte() }
            state = ecb("DES", Cipher.ENCRYPT_MODE, kl, x)
        }
        return ecb("DES", Cipher.ENCRYPT_MODE, kl, ecb("DES", Cipher.DECRYPT_MODE, kr, state))
    }

    fun ac(luk: ByteArray, atc: Int, macInput: ByteArray): ByteArray =
        retailMac(sessionKey(luk, atc), macInput)

    /** The terminal objects the MAC covers, in order. */
    val MAC_TAGS = listOf(0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37)
}

/** What one tap came to. */
sealed class PayOutcome {
    data class Paid(
        val aid: String,
        val pan: String,
        val atc: Int,
        val cid: Int,
        val cdcvm: Boolean,
        val keyIndex: String,
        /** Whether the cryptogram verified with the issuer's LUK of the key index. */
        val verified: Boolean,
    ) : PayOutcome()

    data class Refused(val step: String, val sw: Int) : PayOutcome()
}

/**
 * The reader. `transmit` is the card (the wallet's processApdu); `luks` is the issuer side:
 * key index (hex, upper case) → LUK.
 */
class EmvTerminal(
    private val transmit: (ByteArray) -> ByteArray,
    private val luks: Map<String, ByteArray>,
) {
    val ttq = "36004000".hex()
    var amount = "000000001000".hex()
    val date = "261122".hex()

    private fun values(un: ByteArray): Map<Int, ByteArray> = mapOf(
        0x9F66 to ttq,
        0x9F02 to amount,
        0x9F03 to ByteArray(6),
        0x9F1A to "0156".hex(),
        0x95 to ByteArray(5),
        0x5F2A to "0156".hex(),
        0x9A to date,
        0x9C to ByteArray(1),
        0x9F37 to un,
    )

    private class Sw(val step: String, val sw: Int) : Exception("$step: %04X".format(sw))

    private fun exchange(step: String, apdu: ByteArray): List<Tlv> {
        val r = transmit(apdu)
        require(r.size >= 2) { "$step: short response" }
        val sw = ((r[r.size - 2].toInt() and 0xFF) shl 8) or (r[r.size - 1].toInt() and 0xFF)
        if (sw != 0x9000) throw Sw(step, sw)
        require(r.size - 2 <= 256) { "$step: response over 256 bytes" }
        return BerTlv.parse(r.copyOfRange(0, r.size - 2))
    }

    private fun select(name: ByteArray): ByteArray =
        byteArrayOf(0x00, 0xA4.toByte(), 0x04, 0x00, name.size.toByte()) + name + byteArrayOf(0)

    private fun find(list: List<Tlv>, tag: Int): Tlv? = list.firstNotNullOfOrNull { it.find(tag) }

    /** A DOL: (tag, length) pairs. */
    private fun parseDol(dol: ByteArray): List<Pair<Int, Int>> {
        val out = ArrayList<Pair<Int, Int>>()
        var i = 0
        while (i < dol.size) {
            val first = dol[i++].toInt() and 0xFF
            var tag = first
            if (first and 0x1F == 0x1F) {
                do {
                    val b = dol[i++].toInt() and 0xFF
                    tag = (tag shl 8) or b
                } while (b and 0x80 != 0)
            }
            out.add(tag to (dol[i++].toInt() and 0xFF))
        }
        return out
    }

    fun tap(): PayOutcome = try { run() } catch (e: Sw) { PayOutcome.Refused(e.step, e.sw) }

    private fun run(): PayOutcome {
        val ppse = exchange("SELECT PPSE", select("2PAY.SYS.DDF01".toByteArray()))
        val aid = find(ppse, 0x4F)?.value ?: error("PPSE lists no application")
        val fci = exchange("SELECT AID", select(aid))
        val pdol = parseDol(find(fci, 0x9F38)?.value ?: ByteArray(0))
        val un = ByteArray(4).also { SecureRandom().nextBytes(it) }
        val known = values(un)
        val sent = LinkedHashMap<Int, ByteArray>()
        var pdolData = ByteArray(0)
        for ((tag, len) in pdol) {
            val v = known[tag]?.takeIf { it.size == len } ?: ByteArray(len)
            sent[tag] = v
            pdolData += v
        }
        val gpoBody = byteArrayOf(0x83.toByte(), pdolData.size.toByte()) + pdolData
        val gpo = exchange(
            "GPO",
            byteArrayOf(0x80.toByte(), 0xA8.toByte(), 0, 0, gpoBody.size.toByte()) + gpoBody + byteArrayOf(0),
        )
        val t77 = gpo.single { it.tag == 0x77 }
        val aip = t77.find(0x82)!!.value
        val afl = t77.find(0x94)!!.value
        val atcBytes = t77.find(0x9F36)!!.value
        val atc = ((atcBytes[0].toInt() and 0xFF) shl 8) or (atcBytes[1].toInt() and 0xFF)
        val ac = t77.find(0x9F26)!!.value
        val cid = t77.find(0x9F27)!!.value[0].toInt() and 0xFF
        val iad = t77.find(0x9F10)!!.value
        val ctq = t77.find(0x9F6C)!!.value
        require(aip[0].toInt() and 0x61 == 0) { "AIP advertises offline data authentication" }

        var pan = ""
        for (i in afl.indices step 4) {
            val sfi = (afl[i].toInt() and 0xFF) shr 3
            for (rec in (afl[i + 1].toInt() and 0xFF)..(afl[i + 2].toInt() and 0xFF)) {
                val r = exchange("READ RECORD", byteArrayOf(0x00, 0xB2.toByte(), rec.toByte(), ((sfi shl 3) or 4).toByte(), 0))
                find(r, 0x5A)?.let { pan = it.value.hex().trimEnd('f') }
            }
        }

        require(iad.size == 6 && iad[0].toInt() == 1) { "9F10 is not the generic profile's" }
        val keyIndex = iad.copyOfRange(1, 5).hex().uppercase()
        val cvr = iad[5]
        var macInput = ByteArray(0)
        for (tag in GenericProfile.MAC_TAGS) macInput += sent[tag] ?: error("PDOL lacks %X".format(tag))
        macInput += aip + atcBytes + byteArrayOf(cvr)
        val luk = luks[keyIndex]
        val verified = luk != null && GenericProfile.ac(luk, atc, macInput).contentEquals(ac)
        val cdcvm = ctq[1].toInt() and 0x80 != 0
        require(cdcvm == (cvr.toInt() and 0xFF == 0x80)) { "CTQ and CVR disagree on CDCVM" }
        return PayOutcome.Paid(aid.hex().uppercase(), pan, atc, cid, cdcvm, keyIndex, verified)
    }
}
