// The wallet's root key: 32 random bytes, stored only wrapped (AES-GCM) by a key that never
// leaves the key provider (Android Keystore on a phone, StrongBox when present). Unwrapped
// once at app start, handed to Wallet.open (which wipes its copy on the Rust side), and
// zeroized here right after. A lost provider key, or a store written under another root
// key, is an OpenResult.LostKey for the UI, never a crash.
package dev.hcewallet.sample.logic

import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import java.io.File
import java.security.SecureRandom

/** The provider key can no longer unwrap (deleted, invalidated, another device's blob). */
class KeyUnavailableException(message: String, cause: Throwable? = null) : Exception(message, cause)

/** The AES-GCM wrapping key (Android: KeystoreKeyWrapper; tests: an in-memory one). */
interface KeyWrapper {
    fun hasKey(): Boolean
    /** Creates the wrapping key; returns a description ("StrongBox", "TEE", "memory"). */
    fun createKey(): String
    /** iv ‖ ciphertext ‖ tag. */
    fun wrap(plain: ByteArray): ByteArray
    /** @throws KeyUnavailableException when the key is gone or the blob does not open. */
    fun unwrap(wrapped: ByteArray): ByteArray
    fun deleteKey()
}

/** Where the wrapped root key lives (a file next to the store). */
interface BlobStore {
    fun read(): ByteArray?
    fun write(bytes: ByteArray)
    fun delete()
}

class FileBlobStore(private val file: File) : BlobStore {
    override fun read(): ByteArray? = if (file.exists()) file.readBytes() else null
    override fun write(bytes: ByteArray) {
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".tmp")
        tmp.writeBytes(bytes)
        if (!tmp.renameTo(file)) throw java.io.IOException("rename ${tmp.name} failed")
    }
    override fun delete() {
        file.delete()
    }
}

sealed class RootKey {
    /** The caller must zeroize [key] when done (RootKeyVault.use does). */
    class Unwrapped(val key: ByteArray, val created: Boolean, val protection: String?) : RootKey()
    class Lost(val reason: String) : RootKey()
}

class RootKeyVault(
    private val wrapper: KeyWrapper,
    private val blobs: BlobStore,
    private val random: SecureRandom = SecureRandom(),
) {
    companion object {
        const val VERSION: Byte = 1
        const val KEY_BYTES = 32
    }

    /** The root key: unwrapped if a blob exists, else created (and stored wrapped). */
    fun obtain(): RootKey {
        val blob = blobs.read()
        if (blob == null) {
            val protection = if (wrapper.hasKey()) "existing" else wrapper.createKey()
            val key = ByteArray(KEY_BYTES).also(random::nextBytes)
            val wrapped = wrapper.wrap(key)
            blobs.write(byteArrayOf(VERSION) + wrapped)
            wrapped.fill(0)
            return RootKey.Unwrapped(key, created = true, protection = protection)
        }
        if (blob.isEmpty() || blob[0] != VERSION) return RootKey.Lost("wrapped root key has an unknown format")
        if (!wrapper.hasKey()) return RootKey.Lost("the Keystore key that wrapped the root key is gone")
        return try {
            val key = wrapper.unwrap(blob.copyOfRange(1, blob.size))
            if (key.size != KEY_BYTES) {
                key.fill(0)
                RootKey.Lost("unwrapped root key has ${key.size} bytes")
            } else {
                RootKey.Unwrapped(key, created = false, protection = null)
            }
        } catch (e: KeyUnavailableException) {
            RootKey.Lost(e.message ?: "the root key cannot be unwrapped")
        }
    }

    /** Forgets the root key and the wrapping key (the "start over" of the lost-key screen). */
    fun reset() {
        blobs.delete()
        wrapper.deleteKey()
    }
}

sealed class OpenResult {
    class Opened(val wallet: Wallet, val createdKey: Boolean) : OpenResult()
    /** The data cannot be read with the key we have: the lost-key screen. */
    class LostKey(val reason: String) : OpenResult()
    class Failed(val error: Throwable) : OpenResult()
}

/**
 * Opens the wallet at [storeFile] with the vault's key. [open] is Wallet.open with the
 * config, listener and transport bound (a parameter so tests can count calls).
 */
class WalletOpener(
    private val vault: RootKeyVault,
    private val storeFile: File,
    private val open: (path: String, rootKey: ByteArray) -> Wallet,
) {
    fun open(): OpenResult {
        return when (val k = vault.obtain()) {
            is RootKey.Lost ->
                // A blob we cannot unwrap: the store (if any) is unreadable for good.
                if (storeFile.exists()) OpenResult.LostKey(k.reason)
                else { vault.reset(); open() } // nothing to lose: start fresh
            is RootKey.Unwrapped -> try {
                // UniFFI copies the bytes into Rust (wiped there); our copy is wiped below.
                OpenResult.Opened(open(storeFile.path, k.key), k.created)
            } catch (e: WalletException.WrongRootKey) {
                // A fresh key met an old store (the blob was deleted, e.g. app data partly
                // cleared), or the blob belongs to another store.
                OpenResult.LostKey(e.message ?: "the root key does not open this wallet")
            } catch (e: WalletException) {
                OpenResult.Failed(e)
            } finally {
                k.key.fill(0)
            }
        }
    }

    /** Deletes the unreadable store and the key, then opens an empty wallet. */
    fun startOver(): OpenResult {
        storeFile.parentFile?.listFiles()?.filter { it.name.startsWith(storeFile.name) }?.forEach { it.delete() }
        vault.reset()
        return open()
    }
}
