// A Smart Tap 2.1 terminal (reader) written against the protocol reference only
// (shared/spec/smart-tap.md §6, §11, §13, §13a) with nothing but JDK crypto:
// java.security ECDSA (SHA256withECDSA) and ECDH, javax.crypto AES/CTR/NoPadding and
// HmacSHA256, HKDF (RFC 5869) by hand, java.util.zip.Inflater. It shares no code with the
// Rust handset, so a tap it completes shows that an independent reader can read our pass.
package dev.hcewallet.tests

import java.io.ByteArrayOutputStream
import java.math.BigInteger
import java.security.AlgorithmParameters
import java.security.KeyFactory
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.MessageDigest
import java.security.PrivateKey
import java.security.PublicKey
import java.security.SecureRandom
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECFieldFp
import java.security.spec.ECGenParameterSpec
import java.security.spec.ECParameterSpec
import java.security.spec.ECPoint
import java.security.spec.ECPrivateKeySpec
import java.security.spec.ECPublicKeySpec
import java.security.spec.X509EncodedKeySpec
import java.util.Base64
import java.util.zip.Inflater
import javax.crypto.Cipher
import javax.crypto.KeyAgreement
import javax.crypto.Mac
import javax.crypto.spec.IvParameterSpec
import javax.crypto.spec.SecretKeySpec

/** P-256 helpers over the JDK's EC provider (SEC1 point encodings done by hand). */
object P256 {
    val params: ECParameterSpec = AlgorithmParameters.getInstance("EC").run {
        init(ECGenParameterSpec("secp256r1"))
        getParameterSpec(ECParameterSpec::class.java)
    }
    private val p: BigInteger = (params.curve.field as ECFieldFp).p
    private val kf = KeyFactory.getInstance("EC")

    fun privateKey(scalar: ByteArray): PrivateKey =
        kf.generatePrivate(ECPrivateKeySpec(BigInteger(1, scalar), params))

    /** SEC1 compressed (33) or uncompressed (65) point → public key. */
    fun publicKey(enc: ByteArray): ECPublicKey {
        val x: BigInteger
        val y: BigInteger
        when {
            enc.size == 65 && enc[0] == 0x04.toByte() -> {
                x = BigInteger(1, enc.copyOfRange(1, 33)); y = BigInteger(1, enc.copyOfRange(33, 65))
            }
            enc.size == 33 && (enc[0] == 0x02.toByte() || enc[0] == 0x03.toByte()) -> {
                x = BigInteger(1, enc.copyOfRange(1, 33))
                val rhs = x.pow(3).add(params.curve.a.multiply(x)).add(params.curve.b).mod(p)
                var root = rhs.modPow(p.add(BigInteger.ONE).shiftRight(2), p) // p ≡ 3 (mod 4)
                if (root.multiply(root).mod(p) != rhs) throw IllegalArgumentException("x not on P-256")
                if (root.testBit(0) != (enc[0] == 0x03.toByte())) root = p.subtract(root)
                y = root
            }
            else -> throw IllegalArgumentException("not a SEC1 P-256 point (${enc.size} bytes)")
        }
        return kf.generatePublic(ECPublicKeySpec(ECPoint(x, y), params)) as ECPublicKey
    }

    fun publicKeyFromPem(pem: String): PublicKey {
        val b64 = pem.lines().filterNot { it.startsWith("-----") }.joinToString("")
        return kf.generatePublic(X509EncodedKeySpec(Base64.getDecoder().decode(b64)))
    }

    fun compressed(key: ECPublicKey): ByteArray {
        val w = key.w
        return bytes(byteArrayOf(if (w.affineY.testBit(0)) 3 else 2), fixed32(w.affineX))
    }

    fun generate(): KeyPair =
        KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }
            .generateKeyPair()

    fun fixed32(v: BigInteger): ByteArray {
        val b = v.toByteArray()
        return when {
            b.size == 32 -> b
            b.size > 32 -> b.copyOfRange(b.size - 32, b.size)
            else -> ByteArray(32 - b.size) + b
        }
    }
}

object JdkCrypto {
    fun hmac(key: ByteArray, vararg data: ByteArray): ByteArray =
        Mac.getInstance("HmacSHA256").run {
            init(SecretKeySpec(key, "HmacSHA256")); data.forEach { update(it) }; doFinal()
        }

    /** HKDF-SHA256 (RFC 5869): extract then expand. */
    fun hkdf(ikm: ByteArray, salt: ByteArray, info: ByteArray, length: Int): ByteArray {
        val prk = hmac(salt, ikm)
        val out = ByteArrayOutputStream()
        var t = ByteArray(0)
        var i = 1
        while (out.size() < length) {
            t = hmac(prk, t, info, byteArrayOf(i.toByte()))
            out.write(t)
            i++
        }
        return out.toByteArray().copyOf(length)
    }

    fun ecdh(priv: PrivateKey, pub: PublicKey): ByteArray =
        KeyAgreement.getInstance("ECDH").run { init(priv); doPhase(pub, true); generateSecret() }

    /** AES-128-CTR with the counter block IV ‖ 00000000 (spec §11). */
    fun aesCtr(key: ByteArray, iv12: ByteArray, data: ByteArray): ByteArray =
        Cipher.getInstance("AES/CTR/NoPadding").run {
            init(Cipher.DECRYPT_MODE, SecretKeySpec(key, "AES"), IvParameterSpec(iv12 + ByteArray(4)))
            doFinal(data)
        }

    fun inflate(data: ByteArray, cap: Int): ByteArray {
        val inf = Inflater()
        try {
            inf.setInput(data)
            val out = ByteArrayOutputStream()
            val buf = ByteArray(1024)
            while (!inf.finished()) {
                val n = inf.inflate(buf)
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) throw TerminalException("truncated zlib stream")
                out.write(buf, 0, n)
                if (out.size() > cap) throw TerminalException("inflated bundle exceeds $cap bytes")
            }
            return out.toByteArray()
        } finally {
            inf.end()
        }
    }
}

class TerminalException(msg: String) : Exception(msg)

data class TerminalConfig(
    val collectorId: Int,
    val keyVersion: Int,
    val signingKey: PrivateKey,
    val liveAuth: Boolean = true,
    val serviceTypes: ByteArray = byteArrayOf(0x03),
    /** POS capabilities (§9); `null` = none sent, like Google's sample. */
    val pcr: ByteArray? = null,
    val secondSelect: Boolean = true,
    val maxGetMore: Int = 10,
    // Fixed inputs for vector tests; random when null.
    val sessionId: ByteArray? = null,
    val nonce: ByteArray? = null,
    val ephemeral: KeyPair? = null,
    /** JDK ECDSA draws a random k, so a vector test supplies the vector's (RFC 6979) DER. */
    val signatureOverride: ByteArray? = null,
)

/** What a tap produced. */
sealed class TapOutcome {
    /** The handset sent a pass and it decrypted and verified. */
    data class PassRead(
        val issuerId: Long?,
        val serviceType: String,
        val objectRef: ByteArray?,
        val redemptionValue: String,
    ) : TapOutcome()

    /** The handset answered a step with a status word that ends the tap (9001, 9302, 9300, 9500 …). */
    data class Ended(val step: String, val sw: Int) : TapOutcome()
}

class Exchange(val label: String, val command: ByteArray, val response: ByteArray)

class TapResult(val outcome: TapOutcome, val transcript: List<Exchange>, val okm: ByteArray?)

class SmartTapTerminal(private val cfg: TerminalConfig) {
    companion object {
        val AID_OSE = "4f53452e5641532e3031".hex()
        val AID_ST2 = "a000000476d0000111".hex()
        const val SW_OK = 0x9000
        const val SW_PASS_PAYMENT_NOT_READY = 0x9101
        const val SW_MORE = 0x9100
        private val C1_ALLOWED = setOf(0xCC, 0xC8, 0xC0, 0x8C, 0x88, 0x80, 0x0C, 0x08)
        private val SERVICE_RECORDS = setOf("ly", "of", "gc", "et", "fl", "tr", "gr")
        private const val MAX_BUNDLE = 4096
        private const val MAX_INFLATED = 64 * 1024

        fun sw(resp: ByteArray): Int {
            if (resp.size < 2) throw TerminalException("response shorter than a status word")
            return ((resp[resp.size - 2].toInt() and 0xFF) shl 8) or (resp[resp.size - 1].toInt() and 0xFF)
        }

        fun data(resp: ByteArray) = resp.copyOfRange(0, resp.size - 2)

        fun apdu(cla: Int, ins: Int, data: ByteArray): ByteArray {
            if (data.size > 255) throw TerminalException("command data too long for a short APDU")
            return bytes(byteArrayOf(cla.toByte(), ins.toByte(), 0, 0, data.size.toByte()), data, byteArrayOf(0))
        }

        fun select(aid: ByteArray) =
            bytes(byteArrayOf(0x00, 0xA4.toByte(), 0x04, 0x00, aid.size.toByte()), aid, byteArrayOf(0))
    }

    private val transcript = ArrayList<Exchange>()

    fun tap(transmit: (ByteArray) -> ByteArray): TapResult {
        transcript.clear()
        var okm: ByteArray? = null
        fun send(label: String, cmd: ByteArray): ByteArray =
            transmit(cmd).also { transcript.add(Exchange(label, cmd, it)) }
        fun ended(step: String, sw: Int) = TapResult(TapOutcome.Ended(step, sw), transcript.toList(), okm)

        // SELECT OSE (§6.1): the FCI carries the handset nonce and ephemeral key.
        val ose = send("SELECT OSE", select(AID_OSE))
        if (sw(ose) != SW_OK) return ended("SELECT OSE", sw(ose))
        val fci = BerTlv.parse(data(ose)).firstOrNull { it.tag == 0x6F } ?: throw TerminalException("no 6F FCI")
        for (tag in listOf(0x50, 0xC0, 0xC1, 0xA5, 0xBF0C, 0x61, 0x4F)) {
            fci.find(tag) ?: throw TerminalException("FCI lacks tag %X".format(tag))
        }
        val c1 = fci.find(0xC1)!!.value
        if (c1.isEmpty() || (c1[0].toInt() and 0xFF) !in C1_ALLOWED) throw TerminalException("bad C1 ${c1.hex()}")
        var handsetNonce = (fci.find(0xC2) ?: fci.find(0xDF6E))?.value
        val handsetKey = (fci.find(0xC3) ?: fci.find(0xDF6B))?.value

        // SELECT Smart Tap 2 (§6.2): versions and the `mdn` nonce, which must match OSE's.
        if (cfg.secondSelect || handsetNonce == null) {
            val st2 = send("SELECT Smart Tap 2", select(AID_ST2))
            if (sw(st2) != SW_OK) return ended("SELECT Smart Tap 2", sw(st2))
            val d = data(st2)
            if (d.size < 5) throw TerminalException("Smart Tap 2 SELECT answer too short")
            val min = ((d[0].toInt() and 0xFF) shl 8) or (d[1].toInt() and 0xFF)
            val max = ((d[2].toInt() and 0xFF) shl 8) or (d[3].toInt() and 0xFF)
            if (1 !in min..max) throw TerminalException("version 0001 not in [$min, $max]")
            val mdn = Ndef.parse(d.copyOfRange(4, d.size)).first()
            if (mdn.typeName != "mdn" || mdn.payload.size != 33 || mdn.payload[0] != 0x04.toByte()) {
                throw TerminalException("first record is not a binary mdn")
            }
            val n = mdn.payload.copyOfRange(1, 33)
            if (handsetNonce != null && !handsetNonce.contentEquals(n)) throw TerminalException("mdn nonce differs from C2")
            handsetNonce = n
        }
        if (handsetNonce == null || handsetNonce.size != 32) throw TerminalException("no 32-byte handset nonce")

        // NEGOTIATE (§6.3, §11): sign Nt ‖ Nh ‖ C ‖ Et with the collector's long-term key.
        val sessionId = cfg.sessionId ?: ByteArray(8).also { SecureRandom().nextBytes(it) }
        val nonce = cfg.nonce ?: ByteArray(32).also { SecureRandom().nextBytes(it) }
        val eph = cfg.ephemeral ?: P256.generate()
        val et = P256.compressed(eph.public as ECPublicKey)
        val collector = be32(cfg.collectorId)
        val signed = bytes(nonce, if (cfg.liveAuth) handsetNonce else ByteArray(32), collector, et)
        val der = cfg.signatureOverride ?: Signature.getInstance("SHA256withECDSA").run {
            initSign(cfg.signingKey); update(signed); sign()
        }
        val cpr = bytes(
            nonce, byteArrayOf(if (cfg.liveAuth) 1 else 0), et, be32(cfg.keyVersion),
            Ndef.encode(
                NdefRecord.ext("sig", byteArrayOf(4) + der),
                NdefRecord.ext("cld", byteArrayOf(4) + collector),
            ),
        )
        val ngr = bytes(
            byteArrayOf(0, 1),
            Ndef.encode(NdefRecord.ext("ses", bytes(sessionId, byteArrayOf(1, 1))), NdefRecord.ext("cpr", cpr)),
        )
        val neg = send("NEGOTIATE", apdu(0x90, 0x53, Ndef.encode(NdefRecord.ext("ngr", ngr))))
        val negSw = sw(neg)
        if (negSw != SW_OK && !(negSw == 0x9002 && !cfg.liveAuth)) return ended("NEGOTIATE", negSw)
        val nrs = Ndef.parse(data(neg)).require("nrs")
        val nrsRecords = Ndef.parse(nrs.payload)
        val ses = nrsRecords.require("ses").payload
        if (ses.size != 10) throw TerminalException("ses is ${ses.size} bytes")
        if (!ses.copyOfRange(0, 8).contentEquals(sessionId)) throw TerminalException("nrs session id differs")
        val dpk = nrsRecords.require("dpk").payload
        if (handsetKey != null && !handsetKey.contentEquals(dpk)) throw TerminalException("dpk differs from C3")
        val handsetPub = P256.publicKey(dpk)
        val z = JdkCrypto.ecdh(eph.private, handsetPub)
        okm = JdkCrypto.hkdf(z, dpk, bytes(nonce, handsetNonce, collector, et, der), 48)
        val kEnc = okm.copyOfRange(0, 16)
        val kMac = okm.copyOfRange(16, 48)

        // GET DATA (§6.4) with the handset's sequence number + 1, then GET MORE DATA (§6.5).
        val seq = ((ses[8].toInt() and 0xFF) + 1) and 0xFF
        val req = mutableListOf(
            NdefRecord.ext("ses", bytes(sessionId, byteArrayOf(seq.toByte(), 1))),
            NdefRecord.ext("mer", Ndef.encode(NdefRecord.ext("cld", byteArrayOf(4) + collector))),
            NdefRecord.ext("slr", Ndef.encode(cfg.serviceTypes.map { NdefRecord.ext("str", byteArrayOf(it)) })),
        )
        cfg.pcr?.let { req.add(NdefRecord.ext("pcr", it)) }
        val srq = bytes(byteArrayOf(0, 1), Ndef.encode(req))
        var resp = send("GET DATA", apdu(0x90, 0x50, Ndef.encode(NdefRecord.ext("srq", srq))))
        val body = ByteArrayOutputStream()
        body.write(data(resp))
        var more = 0
        while (sw(resp) == SW_MORE) {
            if (more++ >= cfg.maxGetMore) throw TerminalException("more than ${cfg.maxGetMore} GET MORE DATA")
            resp = send("GET MORE DATA", byteArrayOf(0x90.toByte(), 0xC0.toByte(), 0, 0, 0))
            body.write(data(resp))
            if (body.size() > MAX_BUNDLE) throw TerminalException("answer exceeds $MAX_BUNDLE bytes")
        }
        // 9101: the pass was sent, payment is not ready (smart-tap spec §8; a pass-and-payment
        // terminal of a wallet whose payment side holds no usable token).
        if (sw(resp) != SW_OK && sw(resp) != SW_PASS_PAYMENT_NOT_READY) return ended("GET DATA", sw(resp))
        val srs = Ndef.parse(body.toByteArray()).require("srs")
        val reb = Ndef.parse(srs.payload).require("reb").payload
        if (reb.size < 1 + 12 + 32) throw TerminalException("reb too short")
        val flags = reb[0].toInt() and 0xFF
        if (flags and 0x01 == 0) throw TerminalException("reb not encrypted (flags $flags)")
        val iv = reb.copyOfRange(1, 13)
        val ct = reb.copyOfRange(13, reb.size - 32)
        val mac = reb.copyOfRange(reb.size - 32, reb.size)
        if (!MessageDigest.isEqual(mac, JdkCrypto.hmac(kMac, iv, ct))) throw TerminalException("HMAC mismatch: reb rejected")
        var plain = JdkCrypto.aesCtr(kEnc, iv, ct)
        if (flags and 0x02 != 0) plain = JdkCrypto.inflate(plain, MAX_INFLATED)
        return TapResult(readBundle(plain), transcript.toList(), okm)
    }

    /** `asv` → service record (matched by type) → record with ID `n` (§7.3, §13 item 6). */
    private fun readBundle(plain: ByteArray): TapOutcome.PassRead {
        for (asv in Ndef.parse(plain).filter { it.typeName == "asv" }) {
            val inner = Ndef.parse(asv.payload)
            val issuer = inner.named("i")?.payload?.takeIf { it.size >= 10 }?.let {
                it.copyOfRange(it.size - 8, it.size).fold(0L) { acc, b -> (acc shl 8) or (b.toLong() and 0xFF) }
            }
            val service = inner.firstOrNull { it.typeName in SERVICE_RECORDS } ?: continue
            val fields = Ndef.parse(service.payload)
            val n = fields.firstOrNull { it.idName == "n" } ?: fields.firstOrNull { it.typeName == "n" }
                ?: throw TerminalException("service object without n")
            if (n.payload.isEmpty()) throw TerminalException("empty n")
            val oid = fields.named("oid")?.payload?.let { it.copyOfRange(1, it.size) }
            val value = String(n.payload.copyOfRange(1, n.payload.size), Charsets.US_ASCII)
            return TapOutcome.PassRead(issuer, service.typeName, oid, value)
        }
        throw TerminalException("bundle holds no service object")
    }
}
