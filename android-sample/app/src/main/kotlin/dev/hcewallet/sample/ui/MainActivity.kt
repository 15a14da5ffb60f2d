// Home: the pass list (balance, last terminal update), NFC / default-app state, and the way
// to import, the cards, the activity log and settings. In front, this is UiContext.HOME.
package dev.hcewallet.sample.ui

import android.content.Intent
import android.os.Build
import android.os.Bundle
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.Formats
import dev.hcewallet.sample.nfc.NfcSetup

class MainActivity : WalletActivity() {
    companion object { const val PICK_FILE = 7 }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        if (Build.VERSION.SDK_INT >= 33) requestPermissions(arrayOf("android.permission.POST_NOTIFICATIONS"), 1)
    }

    override fun render(wallet: Wallet) {
        add(text("Passes", bold = true, size = 22f))
        add(text(NfcSetup.nfcState(this)))
        if (!NfcSetup.isDefaultPaymentApp(this)) {
            add(button("Make this the default payment app") { startActivity(NfcSetup.defaultPaymentIntent(this)) })
        }
        val passes = try { wallet.listPasses() } catch (e: WalletException) { add(text("Cannot list: ${e.message}")); return }
        if (passes.isEmpty()) add(text("No passes yet. Import a pass file, or add the demo pass."))
        for (p in passes) {
            add(button(Formats.listLine(p)) { open(PassDetailActivity::class.java, PassDetailActivity.EXTRA_ID to p.objectId) })
        }
        add(button("Import a pass file (JSON / JWT)") {
            val i = Intent(Intent.ACTION_OPEN_DOCUMENT).addCategory(Intent.CATEGORY_OPENABLE).setType("*/*")
                .putExtra(Intent.EXTRA_MIME_TYPES, arrayOf("application/json", "text/plain", "application/jwt", "application/octet-stream"))
            startActivityForResult(i, PICK_FILE)
        })
        add(button("Add the demo pass") {
            startActivity(Intent(this, ImportActivity::class.java).putExtra(ImportActivity.EXTRA_ASSET, "demo-pass.json"))
        })
        add(button("Activity log") { open(ActivityLogActivity::class.java) })
        add(button("Settings (lock screen, observe mode, sync)") { open(SettingsActivity::class.java) })
        val cards = try { wallet.tokens().size } catch (e: WalletException) { 0 }
        add(button("Cards ($cards): pay, default card, report lost") { open(CardsActivity::class.java) })
    }

    @Deprecated("framework API")
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        val uri = data?.data ?: return
        if (requestCode == PICK_FILE && resultCode == RESULT_OK) {
            startActivity(Intent(this, ImportActivity::class.java).setAction(Intent.ACTION_VIEW).setData(uri)
                .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION))
        }
    }
}
