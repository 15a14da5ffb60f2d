package dev.hcewallet.tests

import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import kotlin.system.exitProcess

/** Runs the JUnit classes named on the command line and prints `N passed, M failed`. */
fun main(args: Array<String>) {
    val classes = args.map { Class.forName(it) }
    val result = JUnitCore().run(*classes.toTypedArray())
    result.failures.forEach { f: Failure ->
        println("FAILED ${f.testHeader}: ${f.message}")
        println(f.trace.lines().take(12).joinToString("\n") { "    $it" })
    }
    val failed = result.failureCount
    println("kotlin tests: ${result.runCount - failed} passed, $failed failed (${result.ignoreCount} ignored)")
    exitProcess(if (failed == 0 && result.runCount > 0) 0 else 1)
}
