// Per-APDU call overhead from Kotlin on the JVM, measured in one run: the JNI fast path
// (HceBridge.processApdu) and the UniFFI/JNA path (Wallet.processApdu), each against an
// empty Rust function with the same signature on the same path. The APDU is one the router
// answers without applet work (GET MORE DATA with nothing selected → 6985), so the figures
// are the cost of crossing, not of Smart Tap. Goal: JNI ≤ 2 µs per call.
package dev.hcewallet.tests

import dev.hcewallet.HceBridge
import dev.hcewallet.emptyCall

private fun nsPerCall(iterations: Int, rounds: Int = 7, call: () -> ByteArray): Double {
    var sink = 0
    repeat(iterations) { sink += call().size } // warm-up (JIT)
    val samples = (1..rounds).map {
        val t0 = System.nanoTime()
        repeat(iterations) { sink += call().size }
        (System.nanoTime() - t0).toDouble() / iterations
    }.sorted()
    if (sink == 42) println() // keep the calls observable
    return samples[rounds / 2]
}

fun main() {
    val wallet = Fixtures.openWallet()
    wallet.registerFastPath()
    val apdu = "90c0000000".hex()
    check(HceBridge.processApdu(apdu).contentEquals(wallet.processApdu(apdu)))

    val jniEmpty = nsPerCall(200_000) { JniBench.emptyCall(apdu) }
    val jniApdu = nsPerCall(200_000) { HceBridge.processApdu(apdu) }
    val ffiEmpty = nsPerCall(50_000) { emptyCall(apdu) }
    val ffiApdu = nsPerCall(50_000) { wallet.processApdu(apdu) }

    println("per-call cost from Kotlin (JVM ${System.getProperty("java.version")}, median of 7 rounds)")
    println("  JNI   HceBridge.processApdu  %8.0f ns".format(jniApdu))
    println("  JNI   emptyCall (floor)      %8.0f ns".format(jniEmpty))
    println("  JNA   Wallet.processApdu     %8.0f ns".format(ffiApdu))
    println("  JNA   emptyCall (floor)      %8.0f ns".format(ffiEmpty))
    println("ratios: JNI processApdu / JNI floor = %.2f; JNA processApdu / JNI processApdu = %.1f; JNA floor / JNI floor = %.1f"
        .format(jniApdu / jniEmpty, ffiApdu / jniApdu, ffiEmpty / jniEmpty))
    val ok = jniApdu <= 2000.0
    println("goal JNI ≤ 2 µs per call: ${if (ok) "met" else "MISSED"} (%.2f µs)".format(jniApdu / 1000))
    wallet.unregisterFastPath()
    wallet.close()
}
