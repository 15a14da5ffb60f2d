// The cards screen without the views: what a payment token's row shows (state, last four,
// expiry, default mark, keys left), which actions its state allows (payment spec §12.3–§12.5),
// the confirmation each action asks for, and the action itself on the wallet with its
// refusals turned into a sentence. CardsActivity only lays this out.
package dev.hcewallet.sample.logic

import dev.hcewallet.CardProduct
import dev.hcewallet.KeyStatus
import dev.hcewallet.TokenHold
import dev.hcewallet.TokenInfo
import dev.hcewallet.TokenState
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException

enum class TokenAction { SET_DEFAULT, REPORT_LOST, RESUME, DELETE }

data class TokenRow(
    val tokenRef: String,
    /** "UP CREDIT ···· 0008". */
    val title: String,
    /** State (with why, when suspended), expiry, keys; one line each. */
    val lines: List<String>,
    val isDefault: Boolean,
    val actions: List<TokenAction>,
)

data class Confirmation(val title: String, val message: String, val confirm: String)

object TokenScreen {
    fun title(t: TokenInfo): String = "${t.label.ifBlank { product(t.product) }} ···· ${t.lastFour}"

    fun product(p: CardProduct): String = when (p) {
        CardProduct.CREDIT -> "Credit card"
        CardProduct.DEBIT -> "Debit card"
        CardProduct.PREPAID -> "Prepaid card"
    }

    fun expiry(t: TokenInfo): String = "%02d/%d".format(t.expiryMonth.toInt(), t.expiryYear.toInt())

    fun keys(k: KeyStatus): String = when (k) {
        is KeyStatus.Available ->
            "${k.transactionsLeft} payment(s) left" + if (k.low) " — running low, the app tops up when online" else ""
        is KeyStatus.Exhausted -> "no payments left: connect to the internet to top up"
        is KeyStatus.Expired -> "payment keys expired: connect to the internet to renew"
        is KeyStatus.NoKey -> "no payment keys yet"
    }

    fun hold(h: TokenHold): String = when (h) {
        TokenHold.USER -> "you reported it lost"
        TokenHold.ISSUER -> "suspended by your bank"
        TokenHold.CARD -> "the card was reported lost at your bank"
        TokenHold.DEVICE_LOST -> "this phone was reported lost"
        TokenHold.CREDENTIAL -> "the screen lock was removed: set one to pay again"
    }

    fun state(t: TokenInfo): String = when (t.state) {
        TokenState.PENDING -> "Being activated by your bank"
        TokenState.ACTIVE -> if (t.isDefault) "Ready to pay · default card" else "Ready to pay"
        TokenState.SUSPENDED -> "Suspended: " + t.suspendedBy.joinToString("; ") { hold(it) }.ifEmpty { "by your bank" } +
            if (t.resumeRequested) " · resume requested, waiting for your bank" else ""
        TokenState.DELETED -> "Deleted"
    }

    /**
     * What the user may do in this state: make an Active card the default; report an Active
     * card lost (suspends it at once); resume only a card the user suspended (other holds are
     * lifted by whoever placed them) and not twice; delete any card not yet deleted.
     */
    fun actions(t: TokenInfo): List<TokenAction> = when (t.state) {
        TokenState.ACTIVE -> listOfNotNull(
            TokenAction.SET_DEFAULT.takeIf { !t.isDefault }, TokenAction.REPORT_LOST, TokenAction.DELETE,
        )
        TokenState.SUSPENDED -> listOfNotNull(
            TokenAction.RESUME.takeIf { TokenHold.USER in t.suspendedBy && !t.resumeRequested }, TokenAction.DELETE,
        )
        TokenState.PENDING -> listOf(TokenAction.DELETE)
        TokenState.DELETED -> emptyList()
    }

    fun row(t: TokenInfo): TokenRow = TokenRow(
        t.tokenRef, title(t), listOf(state(t), "Expires ${expiry(t)}", keys(t.keys)), t.isDefault, actions(t),
    )

    /** The header line above the list. */
    fun summary(tokens: List<TokenInfo>): String {
        val default = tokens.firstOrNull { it.isDefault && it.state == TokenState.ACTIVE }
        return when {
            tokens.isEmpty() -> "No cards yet. Import a provisioning file from your bank."
            default == null -> "No card can pay now (none is active)."
            else -> "Default card: ${title(default)}"
        }
    }

    fun label(a: TokenAction): String = when (a) {
        TokenAction.SET_DEFAULT -> "Make default"
        TokenAction.REPORT_LOST -> "Report lost"
        TokenAction.RESUME -> "Resume"
        TokenAction.DELETE -> "Delete"
    }

    /** Every action asks first; the message says what happens and what cannot be undone. */
    fun confirmation(a: TokenAction, t: TokenInfo): Confirmation {
        val card = title(t)
        return when (a) {
            TokenAction.SET_DEFAULT -> Confirmation("Make $card the default?", "Payment terminals will charge this card.", "Make default")
            TokenAction.REPORT_LOST -> Confirmation(
                "Report $card lost?",
                "Payments stop at once on this phone; your bank is told. To undo it, resume the card: your bank must confirm.",
                "Report lost",
            )
            TokenAction.RESUME -> Confirmation(
                "Resume $card?", "Your bank is asked to resume it; the card pays again once it confirms.", "Resume",
            )
            TokenAction.DELETE -> Confirmation(
                "Delete $card from this phone?",
                "Its payment keys are wiped at once and your bank is told. To pay with it again, add the card anew.",
                "Delete",
            )
        }
    }

    /** Runs [a] on the wallet (blocking: store I/O) and says what came of it. */
    fun perform(wallet: Wallet, a: TokenAction, tokenRef: String): String = try {
        when (a) {
            TokenAction.SET_DEFAULT -> { wallet.setDefaultToken(tokenRef); "Default card changed" }
            TokenAction.REPORT_LOST -> { wallet.reportLost(tokenRef); "Reported lost: the card no longer pays on this phone" }
            TokenAction.RESUME -> { wallet.resumeToken(tokenRef); "Resume requested: the card pays again once your bank confirms" }
            TokenAction.DELETE -> { wallet.deleteToken(tokenRef); "Card deleted from this phone" }
        }
    } catch (e: WalletException.TokenStateRefused) {
        "Not possible in the card's present state (${e.message})"
    } catch (e: WalletException.DefaultNotActive) {
        "Only an active card can be the default"
    } catch (e: WalletException.NoSuchToken) {
        "This card is no longer on the phone"
    } catch (e: WalletException) {
        "Failed: ${e.message}"
    }
}
