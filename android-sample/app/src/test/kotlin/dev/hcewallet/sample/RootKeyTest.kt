package dev.hcewallet.sample

import dev.hcewallet.LockedPolicy
import dev.hcewallet.Wallet
import dev.hcewallet.WalletConfig
import dev.hcewallet.sample.logic.ApduGate
import dev.hcewallet.sample.logic.FileBlobStore
import dev.hcewallet.sample.logic.GateState
import dev.hcewallet.sample.logic.KeyUnavailableException
import dev.hcewallet.sample.logic.KeyWrapper
import dev.hcewallet.sample.logic.OpenResult
import dev.hcewallet.sample.logic.RootKeyVault
import dev.hcewallet.sample.logic.WalletOpener
import dev.hcewallet.sample.logic.WalletSession
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.security.GeneralSecurityException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** The Keystore stand-in: an AES-256-GCM key in memory, same wire format as KeystoreKeyWrapper. */
class InMemoryKeyWrapper : KeyWrapper {
    var key: SecretKey? = null
    var wraps = 0
    override fun hasKey() = key != null
    override fun createKey(): String {
        key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey(); return "memory"
    }
    override fun wrap(plain: ByteArray): ByteArray {
        wraps++
        val c = Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.ENCRYPT_MODE, key ?: error("no key")) }
        return byteArrayOf(c.iv.size.toByte()) + c.iv + c.doFinal(plain)
    }
    override fun unwrap(wrapped: ByteArray): ByteArray {
        val k = key ?: throw KeyUnavailableException("no key")
        try {
            val n = wrapped[0].toInt()
            val c = Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.DECRYPT_MODE, k, GCMParameterSpec(128, wrapped.copyOfRange(1, 1 + n))) }
            return c.doFinal(wrapped, 1 + n, wrapped.size - 1 - n)
        } catch (e: GeneralSecurityException) {
            throw KeyUnavailableException("does not unwrap: ${e.javaClass.simpleName}", e)
        }
    }
    override fun deleteKey() { key = null }
}

class RootKeyTest {
    private val config = WalletConfig(lockedPolicy = LockedPolicy.REQUIRE_UNLOCK)

    private class Rig(val dir: File, val wrapper: InMemoryKeyWrapper = InMemoryKeyWrapper()) {
        val blob = File(dir, "root-key.wrapped")
        val store = File(dir, "wallet.redb")
        val handed = ArrayList<ByteArray>()   // the arrays given to Wallet.open (wiped after)
        val seen = ArrayList<ByteArray>()     // copies taken inside Wallet.open
        fun opener(config: WalletConfig) = WalletOpener(RootKeyVault(wrapper, FileBlobStore(blob)), store) { path, key ->
            handed += key; seen += key.copyOf()
            Wallet.open(path, key, config, null, null)
        }
    }

    private fun passJson() = File(Dirs.sample, "app/src/main/assets/demo-pass.json").readText()

    @Test
    fun createUnwrapReopenAndZeroize() {
        val rig = Rig(Dirs.temp("hce-rootkey"))
        val first = rig.opener(config).open() as OpenResult.Opened
        assertTrue(first.createdKey)
        first.wallet.use { it.importPassJson(passJson()) }
        assertTrue("wrapped key stored", rig.blob.isFile)
        val stored = rig.blob.readBytes()
        assertEquals(RootKeyVault.VERSION, stored[0])
        assertFalse("the blob is not the plain key", stored.toList().windowed(32).any { it.toByteArray().contentEquals(rig.seen[0]) })
        assertTrue("our copy is zeroized", rig.handed[0].all { it == 0.toByte() })
        assertFalse("it was a real key", rig.seen[0].all { it == 0.toByte() })

        val again = rig.opener(config).open() as OpenResult.Opened
        assertFalse(again.createdKey)
        again.wallet.use { assertEquals(1, it.listPasses().size) }
        assertArrayEquals("the same root key unwrapped", rig.seen[0], rig.seen[1])
        assertTrue(rig.handed[1].all { it == 0.toByte() })
        assertEquals("wrapped once, unwrapped after", 1, rig.wrapper.wraps)
    }

    @Test
    fun aLostKeystoreKeyIsTheLostKeyScreenThenStartOver() {
        val rig = Rig(Dirs.temp("hce-rootkey"))
        (rig.opener(config).open() as OpenResult.Opened).wallet.use { it.importPassJson(passJson()) }
        rig.wrapper.deleteKey() // Keystore wiped (restore to another phone, key invalidated)
        val lost = rig.opener(config).open()
        assertTrue("$lost", lost is OpenResult.LostKey)
        assertTrue(rig.store.exists())
        val fresh = rig.opener(config).startOver() as OpenResult.Opened
        fresh.wallet.use { assertEquals(0, it.listPasses().size) }
        assertTrue(fresh.createdKey)
    }

    @Test
    fun anotherKeyIsWrongRootKeyNotACrash() {
        val rig = Rig(Dirs.temp("hce-rootkey"))
        (rig.opener(config).open() as OpenResult.Opened).wallet.close()
        // The wrapped blob lost (partial data clear) while the store stayed: a new random key
        // meets the old store and Wallet.open throws WrongRootKey.
        rig.blob.delete()
        val r = rig.opener(config).open()
        assertTrue("$r", r is OpenResult.LostKey)
        assertTrue((r as OpenResult.LostKey).reason.isNotEmpty())
        // A damaged blob (one flipped bit) does not unwrap either.
        val rig2 = Rig(Dirs.temp("hce-rootkey"))
        (rig2.opener(config).open() as OpenResult.Opened).wallet.close()
        val b = rig2.blob.readBytes(); b[b.size - 1] = (b[b.size - 1].toInt() xor 1).toByte(); rig2.blob.writeBytes(b)
        assertTrue(rig2.opener(config).open() is OpenResult.LostKey)
    }

    @Test
    fun theSessionGatesTheServiceWhileTheKeyIsLost() {
        val rig = Rig(Dirs.temp("hce-rootkey"))
        (rig.opener(config).open() as OpenResult.Opened).wallet.close()
        rig.wrapper.deleteKey()
        val session = WalletSession { rig.opener(config) }
        val states = ArrayList<String>()
        session.watch { states += it.javaClass.simpleName }
        assertTrue(session.open() is WalletSession.State.LostKey)
        assertEquals(GateState.UNAVAILABLE, ApduGate.state)
        val selectOse = "00A404000A4F53452E5641532E303100".hex()
        assertEquals("6A82", ApduGate.process(selectOse).toHex())
        val open = session.startOver() as WalletSession.State.Open
        assertEquals(GateState.OPEN, ApduGate.state)
        assertTrue(ApduGate.process(selectOse).toHex().endsWith("9000"))
        assertEquals(listOf("Closed", "Opening", "LostKey", "Opening", "Open"), states)
        open.wallet.close()
        ApduGate.detach(GateState.NOT_OPEN_YET)
    }
}

fun String.hex(): ByteArray = ByteArray(length / 2) { substring(2 * it, 2 * it + 2).toInt(16).toByte() }
fun ByteArray.toHex(): String = joinToString("") { "%02X".format(it.toInt() and 0xFF) }
