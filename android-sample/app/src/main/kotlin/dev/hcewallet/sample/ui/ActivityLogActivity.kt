// The encrypted activity log (identifiers only), the latest events of this run, and the
// observe-mode polling frames (Android 15+).
package dev.hcewallet.sample.ui

import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.Formats
import dev.hcewallet.sample.logic.PollingLoopLog

class ActivityLogActivity : WalletActivity() {
    override fun render(wallet: Wallet) {
        add(text("Activity", bold = true, size = 22f))
        val entries = try { wallet.activity(200u) } catch (e: WalletException) { add(text("${e.message}")); return }
        for (a in entries.asReversed()) add(text(Formats.activity(a), size = 13f))
        add(text("This run", bold = true))
        for (line in app.events.recent().asReversed()) add(text(line, size = 13f))
        val frames = PollingLoopLog.snapshot()
        if (frames.isNotEmpty()) {
            add(text("Polling loop (observe mode)", bold = true))
            for (f in frames) add(text("type ${f.type} gain ${f.gain} t=${f.timestampUs}µs ${f.dataHex}", size = 13f))
        }
    }
}
