// The app's WalletListener. The core calls it on the thread that called the wallet — for a
// tap that is the HCE (main) thread in the middle of an exchange — so it only records the
// event and hands the work to [post] (a Handler or executor on Android, direct in tests).
package dev.hcewallet.sample.logic

import dev.hcewallet.WalletEvent
import dev.hcewallet.WalletListener

/** What the UI layer shows for events (Android: Notifications + a screen refresh). */
interface EventSink {
    fun showChooser(candidates: List<String>)
    fun cancelChooser()
    fun showUnlockNeeded()
    fun tapResult(line: String)
    fun changed()
}

class EventHub(
    val chooser: ChooserState,
    private val sink: EventSink,
    private val post: (Runnable) -> Unit,
) : WalletListener {
    private val recent = ArrayDeque<String>()

    @Synchronized
    fun recent(): List<String> = recent.toList()

    @Synchronized
    private fun remember(line: String) {
        if (recent.size == 50) recent.removeFirst()
        recent.addLast(line)
    }

    override fun onEvent(event: WalletEvent) {
        remember(describe(event))
        when (event) {
            is WalletEvent.ChooserRequired -> {
                val show = chooser.onChooserRequired(event.collectorId, event.candidates)
                if (show) post(Runnable { sink.showChooser(event.candidates) })
            }
            is WalletEvent.PassSent -> {
                chooser.onPassSent(event.objectId)
                post(Runnable { sink.cancelChooser(); sink.tapResult(describe(event)); sink.changed() })
            }
            is WalletEvent.UnlockRequired -> post(Runnable { sink.showUnlockNeeded() })
            is WalletEvent.NothingEligible, is WalletEvent.AuthenticationFailed ->
                post(Runnable { sink.tapResult(describe(event)) })
            is WalletEvent.PushApplied, is WalletEvent.SyncFinished -> post(Runnable { sink.changed() })
            else -> {}
        }
    }

    companion object {
        fun describe(e: WalletEvent): String = when (e) {
            is WalletEvent.Authenticated -> "terminal ${e.collectorId} authenticated (key v${e.keyVersion})"
            is WalletEvent.AuthenticationFailed -> "terminal ${e.collectorId} not authenticated: ${e.reason}"
            is WalletEvent.PassSent -> "sent ${e.objectId} to terminal ${e.collectorId}"
            is WalletEvent.NothingEligible -> "no pass for terminal ${e.collectorId}"
            is WalletEvent.ChooserRequired -> "choose one of ${e.candidates.size} passes for terminal ${e.collectorId}"
            is WalletEvent.UnlockRequired -> "unlock to use passes (terminal ${e.collectorId})"
            is WalletEvent.PushApplied -> "terminal update: ${e.updates} change(s)"
            is WalletEvent.Deactivated -> "tap ended"
            is WalletEvent.SyncFinished -> "key sync: ${e.outcome}"
            is WalletEvent.PassTooLarge -> "pass ${e.objectId} too large for terminal ${e.collectorId}"
            is WalletEvent.VerificationRequired -> "verify on the phone and tap again"
            is WalletEvent.KeysLow -> "payment keys running low"
            is WalletEvent.KeysExhausted -> "payment keys used up: connect to top them up"
            // Payment sent / declined, token state and default-card changes, log sink
            // failures: shown by their generated toString() until the payment screens exist.
            else -> e.toString()
        }
    }
}
