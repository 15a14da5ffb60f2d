// The picker the chooser notification opens: the candidates the core named (9302 at the
// terminal); the pick goes to Wallet.choosePass and the next tap sends it.
package dev.hcewallet.sample.ui

import android.os.Build
import android.os.Bundle
import android.widget.Toast
import dev.hcewallet.LockedPolicy
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.Formats
import dev.hcewallet.sample.logic.UiContextTracker

class ChooserActivity : WalletActivity() {
    // Not PassOpen: the choice must reach the core as a choice, then the user taps again.
    override val screen: UiContextTracker.Screen get() = UiContextTracker.Screen.Home

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // Passes may leave a locked phone (LockedPolicy.ALLOW): then the picker may too.
        if (Build.VERSION.SDK_INT >= 27 && app.lockedPolicy() == LockedPolicy.ALLOW) setShowWhenLocked(true)
    }

    override fun render(wallet: Wallet) {
        val q = app.chooser.pending()
        if (q == null) {
            add(text(app.chooser.chosen()?.let { "Chosen: ${it.objectId}. Tap the terminal again." }
                ?: "No question open. Tap the terminal again to be asked."))
            return
        }
        add(text("Which pass for terminal ${q.collectorId}?", bold = true, size = 20f))
        for (id in q.candidates) {
            val label = try { Formats.listLine(wallet.getPass(id)) } catch (e: WalletException) { id }
            add(button(label) {
                try {
                    app.chooser.pick(id) { wallet.choosePass(it) }
                    Toast.makeText(this, "Now hold the phone to the terminal again", Toast.LENGTH_LONG).show()
                    finish()
                } catch (e: Exception) {
                    Toast.makeText(this, e.message, Toast.LENGTH_LONG).show()
                    refresh()
                }
            })
        }
    }
}
