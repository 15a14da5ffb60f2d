// The FFI contract itself: errors arrive as WalletException with messages, a Rust panic
// becomes an exception and leaves the library usable, the JNI fast path and the UniFFI path
// answer identically, and the wallet takes calls from several threads at once.
package dev.hcewallet.tests

import dev.hcewallet.DeactivationReason
import dev.hcewallet.HceBridge
import dev.hcewallet.UiContext
import dev.hcewallet.WalletException
import dev.hcewallet.provokeInternalPanic
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

class FfiContractTest {
    @Test
    fun wrongRootKeyLengthIsAnExceptionWithAMessage() {
        try {
            Fixtures.openWallet(rootKey = ByteArray(5))
            fail("a 5-byte root key was accepted")
        } catch (e: WalletException.InvalidRootKey) {
            assertEquals("root key must be 32 bytes, got 5", e.message)
        }
    }

    @Test
    fun aRustPanicArrivesAsAnExceptionAndTheLibraryStaysUsable() {
        try {
            provokeInternalPanic()
            fail("no exception")
        } catch (e: WalletException.Internal) {
            assertTrue(e.message!!, e.message!!.contains("provoked by a test"))
        }
        Fixtures.openWallet().use { w -> assertEquals(2, w.processApdu("00a4040002ffff00".hex()).size) }
    }

    @Test
    fun fastPathAndUniffiPathGiveIdenticalAnswers() {
        val w = Fixtures.openWallet()
        w.use {
            w.registerFastPath()
            val apdus = listOf(
                "", "00", "00a4", "00a4040002ffff00", "90500000", "00a404000a4f53452e5641532e303100",
                "00a4040009a000000476d000011100", "90c0000000", "ffffffffffffffffffff", "80ca9f7f00",
            ).map { it.hex() }
            for (a in apdus) {
                // Deactivate between the two so both see the same (fresh) session state.
                w.onDeactivated(DeactivationReason.LINK_LOSS)
                val viaUniffi = w.processApdu(a)
                w.onDeactivated(DeactivationReason.LINK_LOSS)
                val viaJni = HceBridge.processApdu(a)
                assertEquals("answer to ${a.hex()}", viaUniffi.size >= 2, true)
                // Answers holding fresh randomness (nonce, ephemeral key) differ by design;
                // their status word and length must agree, everything else byte for byte.
                if (a.hex().startsWith("00a40400")) {
                    assertEquals(viaUniffi.size, viaJni.size)
                    assertArrayEquals(viaUniffi.takeLast(2).toByteArray(), viaJni.takeLast(2).toByteArray())
                } else {
                    assertArrayEquals("answer to ${a.hex()}", viaUniffi, viaJni)
                }
            }
            w.unregisterFastPath()
            assertEquals("6a82", HceBridge.processApdu("00a404000a4f53452e5641532e303100".hex()).hex())
        }
    }

    @Test
    fun binderAndUiThreadsAtOnce() {
        val w = Fixtures.openWallet()
        w.use {
            w.registerFastPath()
            val pool = Executors.newFixedThreadPool(3)
            val start = CountDownLatch(1)
            val errors = java.util.concurrent.atomic.AtomicInteger()
            val jobs = listOf(
                Runnable { repeat(2000) { if (HceBridge.processApdu("90c0000000".hex()).size != 2) errors.incrementAndGet() } },
                Runnable { repeat(2000) { if (w.processApdu("00a4040002ffff00".hex()).size != 2) errors.incrementAndGet() } },
                Runnable {
                    repeat(2000) { i ->
                        w.setUiContext(if (i % 2 == 0) UiContext.Home else UiContext.Locked)
                        w.onDeactivated(DeactivationReason.DESELECTED)
                    }
                },
            )
            jobs.forEach { job -> pool.execute { start.await(); job.run() } }
            start.countDown()
            pool.shutdown()
            assertTrue("threads finished", pool.awaitTermination(60, TimeUnit.SECONDS))
            assertEquals(0, errors.get())
            w.unregisterFastPath()
        }
    }
}
