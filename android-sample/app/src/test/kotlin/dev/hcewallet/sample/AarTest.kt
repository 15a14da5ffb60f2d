// The archive of `scripts/aar.sh --standin --publish` (the check script builds it with the
// desktop .so standing in for the three ABIs): its layout, its POM, the local Maven
// repository it was installed into, and that its classes load and call the library — in a
// separate JVM, so nothing of the test's own classpath leaks in.
package dev.hcewallet.sample

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.security.MessageDigest
import java.util.concurrent.TimeUnit
import java.util.zip.ZipEntry
import java.util.zip.ZipFile
import javax.tools.ToolProvider
import javax.xml.parsers.DocumentBuilderFactory

class AarTest {
    private val aar = File(System.getenv("HCE_AAR") ?: error("HCE_AAR not set (scripts/android-sample-check.sh sets it)"))
    private val repo = File(System.getenv("HCE_AAR_REPO") ?: error("HCE_AAR_REPO not set"))
    private val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

    @Test
    fun layoutAndPom() {
        ZipFile(aar).use { z ->
            val names = z.entries().toList().map { it.name }.toSet()
            val want = setOf("AndroidManifest.xml", "classes.jar", "R.txt", "proguard.txt") + abis.map { "jni/$it/libhce_wallet_ffi.so" }
            assertEquals(want, names)
            for (abi in abis) assertEquals("stored, not deflated", ZipEntry.STORED, z.getEntry("jni/$abi/libhce_wallet_ffi.so").method)
            val manifest = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(z.getInputStream(z.getEntry("AndroidManifest.xml")))
            assertEquals("dev.hcewallet", manifest.documentElement.getAttribute("package"))
            assertTrue(String(z.getInputStream(z.getEntry("proguard.txt")).readBytes()).contains("com.sun.jna"))
            val jar = File.createTempFile("classes", ".jar").apply { deleteOnExit(); writeBytes(z.getInputStream(z.getEntry("classes.jar")).readBytes()) }
            val classes = ZipFile(jar).use { j -> j.entries().toList().map { it.name } }
            for (c in listOf("dev/hcewallet/HceBridge.class", "dev/hcewallet/Wallet.class", "dev/hcewallet/HttpTransport.class"))
                assertTrue(c, c in classes)
            assertTrue("no stub or app classes shipped", classes.none { it.startsWith("androidx/") || it.startsWith("dev/hcewallet/sample/") })
        }
        val version = aar.name.removePrefix("hce-wallet-").removeSuffix(".aar")
        val pom = File(aar.parentFile, "hce-wallet-$version.pom")
        val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom).documentElement
        fun text(tag: String) = doc.getElementsByTagName(tag).item(0).textContent
        assertEquals("aar", text("packaging"))
        val deps = doc.getElementsByTagName("dependency")
        val jna = (0 until deps.length).map { deps.item(it) as org.w3c.dom.Element }
            .single { it.getElementsByTagName("artifactId").item(0).textContent == "jna" }
        assertEquals("JNA as its @aar", "aar", jna.getElementsByTagName("type").item(0).textContent)
        // publish-local: Maven's layout, with checksums.
        val dir = File(repo, "dev/hcewallet/hce-wallet/$version")
        for (ext in listOf("aar", "pom")) {
            val f = File(dir, "hce-wallet-$version.$ext")
            assertTrue("$f", f.isFile)
            val sha1 = MessageDigest.getInstance("SHA-1").digest(f.readBytes()).joinToString("") { "%02x".format(it) }
            assertEquals(sha1, File(f.path + ".sha1").readText().trim())
        }
    }

    @Test
    fun theClassesLoadAndReachTheLibrary() {
        val d = Dirs.temp("hce-aar")
        ZipFile(aar).use { z ->
            File(d, "classes.jar").writeBytes(z.getInputStream(z.getEntry("classes.jar")).readBytes())
            File(d, "jni").mkdirs()
            File(d, "jni/libhce_wallet_ffi.so").writeBytes(z.getInputStream(z.getEntry("jni/x86_64/libhce_wallet_ffi.so")).readBytes())
        }
        val stdlib = File(System.getProperty("hce.kotlin.stdlib") ?: ".tools/kotlinc/lib/kotlin-stdlib.jar").absolutePath
        val jna = "/usr/share/java/jna.jar"
        val cp = listOf(File(d, "classes.jar").path, stdlib, jna).joinToString(File.pathSeparator)
        File(d, "Probe.java").writeText(
            """
            public class Probe {
                public static void main(String[] a) throws Exception {
                    byte[] select = {0x00, (byte) 0xA4, 0x04, 0x00, 0x0A, 0x4F, 0x53, 0x45, 0x2E, 0x56, 0x41, 0x53, 0x2E, 0x30, 0x31, 0x00};
                    byte[] r = dev.hcewallet.HceBridge.INSTANCE.processApdu(select);
                    System.out.println("jni " + String.format("%02X%02X", r[r.length - 2], r[r.length - 1]));
                    Class<?> top = Class.forName("dev.hcewallet.Hce_wallet_ffiKt");
                    Object ok = top.getMethod("setLogSink", dev.hcewallet.LogSink.class, dev.hcewallet.LogLevel.class)
                        .invoke(null, null, dev.hcewallet.LogLevel.ERROR);
                    System.out.println("uniffi " + ok);
                }
            }
            """.trimIndent(),
        )
        val javac = ToolProvider.getSystemJavaCompiler()
        assertEquals(0, javac.run(null, null, null, "-cp", cp, "-d", d.path, File(d, "Probe.java").path))
        val jni = File(d, "jni").path
        val p = ProcessBuilder("java", "-Djava.library.path=$jni", "-Djna.library.path=$jni", "-cp", d.path + File.pathSeparator + cp, "Probe")
            .redirectErrorStream(true).start()
        assertTrue(p.waitFor(60, TimeUnit.SECONDS))
        val out = p.inputStream.readBytes().decodeToString()
        assertEquals(out, 0, p.exitValue())
        assertTrue(out, out.contains("jni 6A82")) // no wallet registered: the fast path's answer
        assertTrue(out, out.contains("uniffi "))  // the UniFFI contract/checksums checked at load
    }
}
