package dev.hcewallet.sample

import dev.hcewallet.LockedPolicy
import dev.hcewallet.Wallet
import dev.hcewallet.WalletConfig
import dev.hcewallet.sample.logic.BarcodeSpec
import dev.hcewallet.sample.logic.ImportFormatException
import dev.hcewallet.sample.logic.ImportParser
import org.junit.Assert.assertEquals
import org.junit.Assert.fail
import org.junit.Test
import java.io.File
import java.util.Base64

class ImportParserTest {
    private val json = File(Dirs.app, "src/main/assets/demo-pass.json").readText()
    private val id = "3265320111641956183.sample-1"
    private fun b64(s: String) = Base64.getUrlEncoder().withoutPadding().encodeToString(s.toByteArray())
    private val claims = """{"iss":"issuer@example.com","aud":"google","typ":"savetowallet","origins":[],"payload":$json}"""
    private val jwt = b64("""{"alg":"RS256","typ":"JWT"}""") + "." + b64(claims) + "." + b64("signature")

    private fun importInto(text: String): List<String> =
        Wallet.open(File(Dirs.temp("hce-import"), "w.redb").path, ByteArray(32) { 7 }, WalletConfig(lockedPolicy = LockedPolicy.ALLOW), null, null)
            .use { it.importPassJson(text) }

    @Test
    fun plainJsonWithBomAndWhitespace() {
        val p = ImportParser.parse(("\uFEFF\n  " + json + "\n").toByteArray())
        assertEquals("json", p.source)
        assertEquals(listOf(id), p.objectIds)
        assertEquals(BarcodeSpec("QR_CODE", "SAMPLE-1234", null), p.barcodes[id])
        assertEquals(listOf(id), importInto(p.json))
    }

    @Test
    fun aSaveToWalletJwtAndALinkToIt() {
        val p = ImportParser.parse(jwt.toByteArray())
        assertEquals("jwt", p.source)
        assertEquals(listOf(id), p.objectIds)
        assertEquals("the core takes the JWT's claims", listOf(id), importInto(p.json))
        val shared = "Add it to your wallet: https://pay.google.com/gp/v/save/$jwt thanks"
        val l = ImportParser.parse(shared.toByteArray())
        assertEquals("link", l.source)
        assertEquals(p.json, l.json)
    }

    @Test
    fun whatIsNotAPassFile() {
        for (bad in listOf("", "   ", "hello", "{", "[1,2]", """{"loyaltyClasses":[]}""", """{"loyaltyObjects":[{"classId":"x"}]}""", "a.b", "!!.@@.##")) {
            try { ImportParser.parse(bad.toByteArray()); fail("accepted '$bad'") } catch (e: ImportFormatException) { }
        }
        try { ImportParser.parse(ByteArray(ImportParser.MAX_BYTES + 1) { ' '.code.toByte() }); fail() } catch (e: ImportFormatException) { }
        // JSON the app reads but the core refuses is the core's error, named by path.
        val noClass = """{"loyaltyObjects":[{"id":"1.x"}]}"""
        assertEquals(listOf("1.x"), ImportParser.parse(noClass.toByteArray()).objectIds)
        try { importInto(noClass); fail() } catch (e: dev.hcewallet.WalletException.Import) { }
    }
}
