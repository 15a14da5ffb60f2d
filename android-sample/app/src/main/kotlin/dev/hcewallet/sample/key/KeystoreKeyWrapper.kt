// The Android Keystore AES-256-GCM key that wraps the root key. StrongBox when the device
// has one (API 28+), else the TEE. Not bound to user authentication: the wallet must open
// in the background when a tap cold-starts the process (lock-screen behaviour is the core's
// UiContext/LockedPolicy, not the key's).
package dev.hcewallet.sample.key

import android.content.Context
import android.content.pm.PackageManager
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import dev.hcewallet.sample.logic.KeyUnavailableException
import dev.hcewallet.sample.logic.KeyWrapper
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

class KeystoreKeyWrapper(private val context: Context, private val alias: String = "hce-wallet-root-wrap") : KeyWrapper {
    private val keyStore: KeyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }

    override fun hasKey(): Boolean = keyStore.containsAlias(alias)

    override fun createKey(): String {
        val strongBox = context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
        if (strongBox) {
            try {
                generate(true)
                return "StrongBox"
            } catch (e: StrongBoxUnavailableException) {
                // Advertised but not usable for this key: fall back to the TEE.
            }
        }
        generate(false)
        return "TEE"
    }

    private fun generate(strongBox: Boolean) {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .setIsStrongBoxBacked(strongBox)
            .build()
        KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore").run {
            init(spec)
            generateKey()
        }
    }

    private fun key(): SecretKey =
        (keyStore.getKey(alias, null) as? SecretKey) ?: throw KeyUnavailableException("no Keystore key $alias")

    override fun wrap(plain: ByteArray): ByteArray {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key()) // Keystore picks the 12-byte IV
        val iv = cipher.iv
        return byteArrayOf(iv.size.toByte()) + iv + cipher.doFinal(plain)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        try {
            val ivLen = wrapped[0].toInt()
            val iv = wrapped.copyOfRange(1, 1 + ivLen)
            val cipher = Cipher.getInstance("AES/GCM/NoPadding")
            cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(128, iv))
            return cipher.doFinal(wrapped, 1 + ivLen, wrapped.size - 1 - ivLen)
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw KeyUnavailableException("the Keystore key was invalidated", e)
        } catch (e: GeneralSecurityException) {
            throw KeyUnavailableException("the root key does not unwrap: ${e.javaClass.simpleName}", e)
        } catch (e: IndexOutOfBoundsException) {
            throw KeyUnavailableException("the wrapped root key is truncated", e)
        }
    }

    override fun deleteKey() {
        if (keyStore.containsAlias(alias)) keyStore.deleteEntry(alias)
    }
}
