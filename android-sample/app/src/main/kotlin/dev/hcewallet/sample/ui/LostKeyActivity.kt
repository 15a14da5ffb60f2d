// Wallet.open threw WrongRootKey, or the Keystore key that wraps the root key is gone (app
// data restored to another device, Keystore reset, lock-screen change that invalidated it).
// The data is unreadable for good; the user can start over with an empty wallet (passes are
// re-added from the issuers) — never a crash loop.
package dev.hcewallet.sample.ui

import dev.hcewallet.Wallet
import dev.hcewallet.sample.logic.WalletSession

class LostKeyActivity : WalletActivity() {
    override fun renderClosed(s: WalletSession.State) {
        add(text("This wallet can no longer be opened", bold = true, size = 22f))
        add(text((s as? WalletSession.State.LostKey)?.reason ?: "The wallet's key is not available."))
        add(text("Its passes were protected by a key kept in this phone's secure hardware, and " +
            "that key is gone (for example after restoring app data to another phone). Nothing " +
            "on this phone can read them any more. Start over to get an empty wallet; add your " +
            "passes again from their issuers."))
        add(button("Start over (deletes the unreadable wallet)") {
            add(text("Starting over…"))
            app.startOverAsync {
                open(MainActivity::class.java)
                finish()
            }
        })
    }

    override fun render(wallet: Wallet) {
        // Opened again (after start over): back to the list.
        open(MainActivity::class.java)
        finish()
    }
}
