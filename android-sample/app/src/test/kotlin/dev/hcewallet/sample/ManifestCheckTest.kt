package dev.hcewallet.sample

import dev.hcewallet.sample.logic.Aids
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File

class ManifestCheckTest {
    /** A copy of the app's build file, manifest and resources, with [edit] applied to one file. */
    private fun brokenCopy(path: String, edit: (String) -> String): File {
        val d = Dirs.temp("hce-manifest")
        File(Dirs.app, "build.gradle.kts").copyTo(File(d, "build.gradle.kts"))
        File(Dirs.app, "src/main").copyRecursively(File(d, "src/main"))
        File(d, "src/main/kotlin").deleteRecursively()
        val f = File(d, path)
        f.writeText(edit(f.readText()))
        return d
    }

    private val apdu = "src/main/res/xml/apduservice.xml"
    private val manifest = "src/main/AndroidManifest.xml"

    private fun assertRefused(errors: List<String>, vararg words: String) {
        assertTrue("expected errors", errors.isNotEmpty())
        for (w in words) assertTrue("no error mentions '$w': $errors", errors.any { it.contains(w) })
    }

    @Test
    fun theAppAsShippedPasses() {
        assertEquals(emptyList<String>(), ManifestCheck.check(Dirs.app))
    }

    @Test
    fun aidsAreValidHexOfFiveToSixteenBytes() {
        for (aid in Aids.STATIC.values.flatten()) assertTrue(aid, Aids.isValid(aid))
        for (bad in listOf("4F53452E5641532E303", "A0000004", "A000000476D00001110000000000000000", "a000000476d0000111", "A00000047GD0000111"))
            assertTrue(bad, !Aids.isValid(bad))
    }

    @Test
    fun aBrokenAidListIsRefused() {
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("4F53452E5641532E3031", "4F53452E5641532E303") }), "4F53452E5641532E303", "category other")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("A000000476D0000111", "A000000476D000011100000000000000AB") }), "5–16 bytes")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("A000000333010102", "A0000003") }), "A0000003")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("category=\"payment\"", "category=\"loyalty\"") }), "loyalty")
    }

    @Test
    fun aBrokenPaymentGroupIsRefused() {
        // PPSE mistyped, dropped, or moved out of the payment category; a token AID without a RID.
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace(Aids.PPSE, "325041592E5359532E444446303") }), "5–16 bytes", "no PPSE")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("<aid-filter android:name=\"${Aids.PPSE}\" />", "") }), "no PPSE", "category payment")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("category=\"payment\"", "category=\"other\"") }), "category other", "category payment")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace(Aids.UNIONPAY_CREDIT, "B000000333010102") }), "registered RID")
        // The code agreeing with a broken file does not make it right.
        val noPpse = ManifestCheck.Expected(aids = Aids.STATIC + (Aids.CATEGORY_PAYMENT to listOf(Aids.UNIONPAY_CREDIT)))
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("<aid-filter android:name=\"${Aids.PPSE}\" />", "") }, noPpse), "no PPSE")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("android:apduServiceBanner=\"@drawable/banner\"", "") }), "apduServiceBanner")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("</host-apdu-service>", "") }), "well-formed")
        assertRefused(ManifestCheck.check(brokenCopy(apdu) { it.replace("android:requireDeviceUnlock=\"false\"", "") }), "requireDeviceUnlock")
    }

    @Test
    fun aBrokenServiceNameIsRefused() {
        assertRefused(ManifestCheck.check(brokenCopy(manifest) { it.replace(".nfc.HceService", ".nfc.HceServic") }), "HceServic", "does not exist")
        assertRefused(ManifestCheck.check(brokenCopy(manifest) { it.replace("android.permission.BIND_NFC_SERVICE", "android.permission.NFC") }), "BIND_NFC_SERVICE")
        assertRefused(ManifestCheck.check(brokenCopy(manifest) { it.replace("@xml/apduservice", "@xml/apdu") }), "@xml/apdu")
        assertRefused(ManifestCheck.check(brokenCopy(manifest) { it.replace(".ui.ChooserActivity", ".ui.Chooser") }), "ui.Chooser")
    }

    @Test
    fun codeThatDisagreesWithTheFilesIsRefused() {
        // As if Aids.kt's constants had been edited without apduservice.xml / the manifest.
        val drifted = ManifestCheck.Expected(aids = Aids.STATIC + (Aids.CATEGORY_OTHER to listOf(Aids.SMART_TAP_OSE)))
        assertRefused(ManifestCheck.check(Dirs.app, drifted), "category other", "A000000476D0000111")
        val renamed = ManifestCheck.Expected(serviceClass = "dev.hcewallet.sample.nfc.WalletService")
        assertRefused(ManifestCheck.check(Dirs.app, renamed), "WalletService")
    }
}
