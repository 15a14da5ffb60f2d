package dev.hcewallet.sample

import java.io.File
import java.nio.file.Files

object Dirs {
    val sample: File = File(System.getProperty("hce.sample.dir") ?: "android-sample")
    val app: File = File(sample, "app")
    val fixtures: File = File(System.getProperty("hce.fixtures.dir") ?: "bindings/kotlin-tests/fixtures")
    fun temp(prefix: String): File = Files.createTempDirectory(prefix).toFile().also { it.deleteOnExit() }
}
