// Payment events → what the user is told (Notifications builds the Android notification from
// it): "verify on the phone and tap again", keys low / used up, the default card changed, a
// card's state changed; a payment made or declined is a short message (toast).
package dev.hcewallet.sample.logic

import dev.hcewallet.DeclineReason
import dev.hcewallet.KeysGone
import dev.hcewallet.TokenOrigin
import dev.hcewallet.TokenState
import dev.hcewallet.WalletEvent

data class PaymentNotice(
    val kind: Kind,
    /** Notifications of one kind about one card replace each other (Android: the tag). */
    val key: String,
    val title: String,
    val text: String,
) {
    enum class Kind {
        /** Opens the verify-and-tap screen. */
        VERIFY,
        KEYS,
        /** Opens the cards screen (pick another default). */
        DEFAULT_CHANGED,
        TOKEN_STATE,
        /** A payment made or declined: a toast, not a notification. */
        PAYMENT,
    }
}

object PaymentNotices {
    /** Whether [of] has a notice for [e] (without naming the card). */
    fun concerns(e: WalletEvent): Boolean = of(e) { null } != null

    /**
     * The notice for [e], or null for events that are not about payment. [card] names a
     * token ("UP CREDIT ···· 0008") from its reference, or null when it is gone.
     */
    fun of(e: WalletEvent, card: (String) -> String?): PaymentNotice? {
        fun name(ref: String) = card(ref) ?: "Your card"
        return when (e) {
            is WalletEvent.VerificationRequired -> PaymentNotice(
                PaymentNotice.Kind.VERIFY, "verify", "Verify to pay",
                "${name(e.tokenRef)}: confirm it's you on the phone, then hold it to the terminal again.",
            )
            is WalletEvent.KeysLow -> PaymentNotice(
                PaymentNotice.Kind.KEYS, "keys:${e.tokenRef}", "${name(e.tokenRef)}: few payments left",
                "The app tops up the payment keys when the phone is online.",
            )
            is WalletEvent.KeysExhausted -> PaymentNotice(
                PaymentNotice.Kind.KEYS, "keys:${e.tokenRef}", "${name(e.tokenRef)} cannot pay now",
                when (e.reason) {
                    KeysGone.EXHAUSTED -> "Its payment keys are used up."
                    KeysGone.EXPIRED -> "Its payment keys expired."
                    KeysGone.NO_KEY -> "It has no payment keys."
                } + " Connect to the internet so your bank can send new ones.",
            )
            is WalletEvent.DefaultTokenChanged -> PaymentNotice(
                PaymentNotice.Kind.DEFAULT_CHANGED, "default", "Default card changed",
                e.to?.let { "Terminals now charge ${name(it)}." } ?: "No card can pay now: no card is active.",
            )
            is WalletEvent.TokenStateChanged -> PaymentNotice(
                PaymentNotice.Kind.TOKEN_STATE, "state:${e.tokenRef}", "${name(e.tokenRef)} ${stateVerb(e.to)}",
                why(e.origin, e.to),
            )
            is WalletEvent.PaymentSent -> PaymentNotice(
                PaymentNotice.Kind.PAYMENT, "payment", "Paid with ···· ${e.lastFour}",
                "Transaction ${e.atc}" + if (e.cdcvm) ", verified on the phone" else "",
            )
            is WalletEvent.PaymentDeclined -> PaymentNotice(
                PaymentNotice.Kind.PAYMENT, "payment", "Payment declined on this phone", declined(e.reason),
            )
            else -> null
        }
    }

    private fun stateVerb(s: TokenState) = when (s) {
        TokenState.PENDING -> "is being activated"
        TokenState.ACTIVE -> "is ready to pay"
        TokenState.SUSPENDED -> "is suspended"
        TokenState.DELETED -> "was removed from this phone"
    }

    private fun why(o: TokenOrigin, to: TokenState): String = when (o) {
        TokenOrigin.USER -> if (to == TokenState.ACTIVE) "Your bank confirmed your request." else "As you asked."
        TokenOrigin.ISSUER_ON_TOKEN, TokenOrigin.ISSUER_ON_CARD -> "Your bank changed it. Contact your bank with questions."
        TokenOrigin.DEVICE_LOST, TokenOrigin.DEVICE_FOUND -> "This phone was reported lost or found."
        TokenOrigin.DEVICE_WIPE, TokenOrigin.DEVICE_RESTORE -> "This phone was reset or restored: add the card again."
        TokenOrigin.ACCOUNT_SIGN_OUT -> "You signed out of the wallet."
        TokenOrigin.DEVICE_CREDENTIAL_REMOVED -> "The screen lock was removed. Set a screen lock to pay again."
        TokenOrigin.DEVICE_CREDENTIAL_SET -> "A screen lock is set again."
    }

    private fun declined(r: DeclineReason): String = when (r) {
        is DeclineReason.KeysExhausted, is DeclineReason.KeyExpired, is DeclineReason.NoKey ->
            "No payment keys left: connect to the internet, then try again."
        is DeclineReason.TokenNotActive -> "The card is not active."
        is DeclineReason.TokenExpired -> "The card expired."
        is DeclineReason.AtcSpent -> "The card used up its transaction counter: add it again."
        is DeclineReason.OfflineOnlyReader -> "This terminal cannot take phone payments (offline only)."
        is DeclineReason.TerminalRequestedAac -> "The terminal declined."
        is DeclineReason.JournalFailed -> "The phone could not record the payment: nothing was charged. Try again."
    }
}
