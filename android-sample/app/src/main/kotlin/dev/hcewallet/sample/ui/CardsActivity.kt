// The payment cards: each token's state, last four, expiry, default mark and payments left
// (TokenScreen), the actions its state allows — make default, report lost, resume, delete —
// each after a confirmation dialog; adding a card from the bank's provisioning file; the
// default-payment-app state and the way to the verify-and-pay screen; "Sync with your bank"
// (Wallet.syncTokens) when a token service is configured.
package dev.hcewallet.sample.ui

import android.app.AlertDialog
import android.content.Intent
import android.widget.Toast
import dev.hcewallet.TokenInfo
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.SampleConfig
import dev.hcewallet.sample.logic.TokenAction
import dev.hcewallet.sample.logic.TokenScreen
import dev.hcewallet.sample.logic.TokenSyncText
import dev.hcewallet.sample.nfc.NfcSetup

class CardsActivity : WalletActivity() {
    override fun render(wallet: Wallet) {
        add(text("Cards", bold = true, size = 22f))
        val tokens = try { wallet.tokens() } catch (e: WalletException) { add(text("Cannot list cards: ${e.message}")); return }
        add(text(TokenScreen.summary(tokens)))
        if (NfcSetup.isDefaultPaymentApp(this)) {
            add(text("Default payment app: this app"))
        } else {
            add(text("Terminals reach these cards when this is the default payment app" +
                if (NfcSetup.foregroundMayPay(this)) " (or while it is open)." else "."))
            add(button("Make this the default payment app") { startActivity(NfcSetup.defaultPaymentIntent(this)) })
        }
        for (t in tokens) {
            val row = TokenScreen.row(t)
            add(text((if (row.isDefault) "★ " else "") + row.title, bold = true, size = 18f))
            add(text(row.lines.joinToString("\n")))
            for (a in row.actions) add(button(TokenScreen.label(a)) { confirm(wallet, a, t) })
        }
        if (tokens.any { it.isDefault }) add(button("Verify and pay") { open(PayActivity::class.java) })
        val pending = try { wallet.pendingTokenRequests().size } catch (e: WalletException) { 0 }
        if (pending > 0) add(text("$pending request(s) waiting to reach your bank"))
        if (SampleConfig.tokenServiceUrl != null) add(button("Sync with your bank") { sync(wallet) })
        add(button("Add a card (file from your bank)") {
            val i = Intent(Intent.ACTION_OPEN_DOCUMENT).addCategory(Intent.CATEGORY_OPENABLE).setType("*/*")
            startActivityForResult(i, MainActivity.PICK_FILE)
        })
    }

    /** Wallet.syncTokens blocks on the network: on the io worker, never the UI thread. */
    private fun sync(wallet: Wallet) {
        app.io.execute {
            val text = try { TokenSyncText.summary(wallet.syncTokens(true)) } catch (e: WalletException) { "Sync failed: ${e.message}" }
            runOnUiThread { Toast.makeText(this, text, Toast.LENGTH_LONG).show(); refresh() }
        }
    }

    private fun confirm(wallet: Wallet, a: TokenAction, t: TokenInfo) {
        val c = TokenScreen.confirmation(a, t)
        AlertDialog.Builder(this)
            .setTitle(c.title)
            .setMessage(c.message)
            .setPositiveButton(c.confirm) { _, _ ->
                app.io.execute {
                    val result = TokenScreen.perform(wallet, a, t.tokenRef)
                    runOnUiThread { Toast.makeText(this, result, Toast.LENGTH_LONG).show(); refresh() }
                }
            }
            .setNegativeButton(android.R.string.cancel, null)
            .show()
    }

    @Deprecated("framework API")
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        val uri = data?.data ?: return
        if (requestCode == MainActivity.PICK_FILE && resultCode == RESULT_OK) {
            startActivity(Intent(this, ImportActivity::class.java).setAction(Intent.ACTION_VIEW).setData(uri)
                .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION))
        }
    }
}
