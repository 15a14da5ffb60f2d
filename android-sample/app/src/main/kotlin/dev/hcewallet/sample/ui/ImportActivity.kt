// Import from a file (ACTION_VIEW / the picker), a share (ACTION_SEND with a stream or text)
// or the bundled demo pass: a pass (JSON / JWT / save link, ImportParser) or a file from the
// bank's token service (a provisioning payload or a status message, TokenImport). Reading
// and importing run on the io worker.
package dev.hcewallet.sample.ui

import android.app.KeyguardManager
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.ImportFormatException
import dev.hcewallet.sample.logic.ImportParser
import dev.hcewallet.sample.logic.TokenImport
import dev.hcewallet.sample.logic.UiContextTracker
import dev.hcewallet.sample.service
import java.io.InputStream

class ImportActivity : WalletActivity() {
    companion object { const val EXTRA_ASSET = "asset" }

    override val screen: UiContextTracker.Screen get() = UiContextTracker.Screen.None
    @Volatile private var result: String? = null
    private var started = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        app.openAsync() // a share may cold-start the app
    }

    override fun render(wallet: Wallet) {
        add(text("Import", bold = true, size = 22f))
        if (!started) {
            started = true
            app.io.execute { result = importNow(wallet); runOnUiThread { refresh() } }
        }
        add(text(result ?: "Importing…"))
        if (result != null) add(button("Done") { open(MainActivity::class.java); finish() })
    }

    private fun readCapped(input: InputStream): ByteArray {
        // InputStream.readNBytes is API 33; minSdk is 26.
        val out = java.io.ByteArrayOutputStream()
        val buf = ByteArray(8192)
        while (out.size() <= ImportParser.MAX_BYTES) {
            val n = input.read(buf)
            if (n < 0) break
            out.write(buf, 0, n)
        }
        return out.toByteArray()
    }

    private fun source(): ByteArray? {
        intent.getStringExtra(EXTRA_ASSET)?.let { return assets.open(it).use(::readCapped) }
        val uri: Uri? = when (intent.action) {
            Intent.ACTION_SEND -> {
                @Suppress("DEPRECATION")
                intent.getParcelableExtra<Uri>(Intent.EXTRA_STREAM)
                    ?: return intent.getStringExtra(Intent.EXTRA_TEXT)?.toByteArray()
            }
            else -> intent.data
        }
        return uri?.let { u -> contentResolver.openInputStream(u)?.use(::readCapped) }
    }

    private fun importNow(wallet: Wallet): String = try {
        val bytes = source() ?: throw ImportFormatException("nothing to import")
        val token = TokenImport.recognise(bytes)
        if (token != null) return TokenImport.apply(wallet, token, service<KeyguardManager>().isDeviceSecure)
        val parsed = ImportParser.parse(bytes)
        val ids = wallet.importPassJson(parsed.json)
        val prefs = getSharedPreferences("barcodes", MODE_PRIVATE).edit()
        for ((id, spec) in parsed.barcodes) prefs.putString(id, spec.type)
        prefs.apply()
        "Imported ${ids.size} pass(es) from ${parsed.source}:\n" + ids.joinToString("\n")
    } catch (e: ImportFormatException) {
        "Not imported: ${e.message}"
    } catch (e: WalletException) {
        "The wallet refused it: ${e.message}"
    } catch (e: java.io.IOException) {
        "Cannot read it: ${e.message}"
    }
}
