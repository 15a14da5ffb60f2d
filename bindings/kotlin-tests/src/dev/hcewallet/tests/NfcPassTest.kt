// Issuer NFC passes (issue 15) through the Kotlin API: a Huawei pass JSON imports, its AID is
// announced for registration, and a door reader written here with JDK crypto (AES/ECB over
// one block: the ISO/IEC 9798-2 token eK(RND.ICC || "HCE-ICC" 01)) opens it through
// processApdu; a wrong key gets 63Cx and no file byte; the swipe is an event.
package dev.hcewallet.tests

import dev.hcewallet.AidCategory
import dev.hcewallet.Wallet
import dev.hcewallet.DeactivationReason
import dev.hcewallet.WalletEvent
import dev.hcewallet.WalletException
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.io.File
import javax.crypto.Cipher
import javax.crypto.spec.SecretKeySpec

class NfcPassTest {
    private val json: String = File(
        File(System.getProperty("hce.fixtures.dir") ?: "bindings/kotlin-tests/fixtures"),
        "../../../core/tests/fixtures/nfc/huawei-door.json",
    ).readText()
    private val aid = hex("F04857444F4F5231")
    private val key = hex("000102030405060708090A0B0C0D0E0F")

    private fun hex(s: String): ByteArray = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

    private fun sw(r: ByteArray): Int = ((r[r.size - 2].toInt() and 0xFF) shl 8) or (r[r.size - 1].toInt() and 0xFF)

    private fun token(key: ByteArray, rnd: ByteArray): ByteArray {
        val aes = Cipher.getInstance("AES/ECB/NoPadding")
        aes.init(Cipher.ENCRYPT_MODE, SecretKeySpec(key, "AES"))
        return aes.doFinal(rnd + "HCE-ICC".toByteArray() + byteArrayOf(1))
    }

    private fun door(w: dev.hcewallet.Wallet, key: ByteArray): ByteArray {
        assertEquals(0x9000, sw(w.processApdu(hex("00A4040C08") + aid)))
        val challenge = w.processApdu(hex("0084000008"))
        assertEquals(0x9000, sw(challenge))
        val ext = w.processApdu(hex("0082000110") + token(key, challenge.copyOf(8)))
        if (sw(ext) != 0x9000) return ext
        assertEquals(0x9000, sw(w.processApdu(hex("00A4020C020101"))))
        return w.processApdu(hex("00B000000B"))
    }

    /** The issuer NFC-pass AIDs: the OTHER group of the wallet's AID set less Smart Tap's. */
    private fun nfcAids(w: Wallet): List<String> =
        w.aidSet().groups.single { it.category == AidCategory.OTHER }.aids
            .filter { it != "4F53452E5641532E3031" && !it.startsWith("A000000476D0000") }

    @Test
    fun huaweiPassOpensTheDoorWithItsKeyOnly() {
        val events = RecordingListener()
        val w = Fixtures.openWallet(listener = events)
        assertEquals(emptyList<String>(), nfcAids(w))
        assertEquals("hw-campus-door-0042", w.importHuaweiNfcPass(json))
        assertEquals(listOf("F04857444F4F5231"), nfcAids(w))
        val changed = events.events.filterIsInstance<WalletEvent.AidSetChanged>().last()
        assertTrue(changed.toString(), changed.aidSet.groups.single { it.category == AidCategory.OTHER }.aids.contains("F04857444F4F5231"))

        val wrong = door(w, ByteArray(16) { 0x42 })
        assertArrayEquals(hex("63C4"), wrong)
        w.onDeactivated(DeactivationReason.LINK_LOSS)

        val read = door(w, key)
        assertArrayEquals("LAB-DOOR-42".toByteArray() + hex("9000"), read)
        w.onDeactivated(DeactivationReason.LINK_LOSS)
        val used = events.events.filterIsInstance<WalletEvent.NfcPass>().filter { it.name == "nfc.used" }
        assertEquals(2, used.size)
        assertTrue(used.last().detail, used.last().detail.contains("read [0101]") && used.last().detail.contains("authenticated=true"))

        try {
            w.importHuaweiNfcPass(json.replace("\"nfcType\": \"1\"", "\"nfcType\": \"0\""))
            fail("NFC disabled must be refused")
        } catch (e: WalletException) {
            assertTrue(e.toString(), e.toString().contains("linkDevicePass.nfcType"))
        }
        assertTrue(w.removeNfcPass("hw-campus-door-0042"))
        assertEquals(emptyList<String>(), nfcAids(w))
        w.close()
    }
}
