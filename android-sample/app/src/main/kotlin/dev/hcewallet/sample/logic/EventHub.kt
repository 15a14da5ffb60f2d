// The app's WalletListener. The core calls it on the thread that called the wallet — for a
// tap that is the HCE (main) thread in the middle of an exchange — so it only records the
// event and hands the work to [post] (a Handler or executor on Android, direct in tests):
// chooser, unlock and payment notices to the UI, a changed AID set to the AidRegistrar.
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
    /** A payment notice (PaymentNotices): a notification, or a toast for PAYMENT. */
    fun payment(notice: PaymentNotice)
}

class EventHub(
    val chooser: ChooserState,
    private val sink: EventSink,
    /** Registers the wallet's AID set with CardEmulation (null: not on a phone). */
    private val aids: AidRegistrar? = null,
    /** A token's display name from its reference (the wallet's token list), null if gone. */
    private val card: (String) -> String? = { null },
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
            is WalletEvent.AidSetChanged -> aids?.let { r -> post(Runnable { r.apply(event.aidSet) }) }
            else -> if (PaymentNotices.concerns(event)) post(Runnable {
                // Named in the posted task: the lookup reads the wallet, never on the tap thread.
                PaymentNotices.of(event, card)?.let { sink.payment(it); sink.changed() }
            })
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
            is WalletEvent.AidSetChanged ->
                "AIDs: " + e.aidSet.groups.joinToString("; ") { "${AidRegistrar.category(it.category)} ${it.aids}" }
            is WalletEvent.PaymentStarted -> "payment started with ···· ${e.lastFour}"
            is WalletEvent.LogSinkFailed -> "the log sink failed and was removed"
            // Payment events: the notice's words (the token by its reference).
            else -> PaymentNotices.of(e) { "card ${it}" }?.let { "${it.title}: ${it.text}" } ?: e.toString()
        }
    }
}
