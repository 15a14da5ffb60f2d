package dev.hcewallet.sample

import java.io.File
import java.nio.file.Files

object Dirs {
    val sample: File = File(System.getProperty("hce.sample.dir") ?: "android-sample")
    val app: File = File(sample, "app")
    val fixtures: File = File(System.getProperty("hce.fixtures.dir") ?: "bindings/kotlin-tests/fixtures")
    fun temp(prefix: String): File = Files.createTempDirectory(prefix).toFile().also { it.deleteOnExit() }
}

object Logs {
    /** The first line of `log` matching `match`, waiting up to 5 s for a server to write it. */
    fun awaitLine(log: File, match: (String) -> Boolean): String {
        val deadline = System.nanoTime() + 5_000_000_000L
        while (true) {
            val line = if (log.exists()) log.readLines().firstOrNull(match) else null
            if (line != null) return line
            if (System.nanoTime() > deadline) error("no matching line in $log: ${if (log.exists()) log.readText() else "(missing)"}")
            Thread.sleep(20)
        }
    }
}
