package dev.hcewallet.sample

import org.junit.runner.JUnitCore
import kotlin.system.exitProcess

/** Runs the JUnit classes named on the command line and prints `N passed, M failed`. */
fun main(args: Array<String>) {
    val result = JUnitCore().run(*args.map { Class.forName(it) }.toTypedArray())
    result.failures.forEach { f ->
        println("FAILED ${f.testHeader}: ${f.message}")
        println(f.trace.lines().take(14).joinToString("\n") { "    $it" })
    }
    val failed = result.failureCount
    println("android-sample: ${result.runCount - failed} passed, $failed failed")
    exitProcess(if (failed == 0 && result.runCount > 0) 0 else 1)
}
