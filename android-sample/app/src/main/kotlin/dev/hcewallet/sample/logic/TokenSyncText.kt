// What a token sync did, in one sentence for a toast (Wallet.syncTokens → TokenSyncReport).
// Plain Kotlin, no android.* import, so the JVM tests check it.
package dev.hcewallet.sample.logic

import dev.hcewallet.TokenStatusOutcome
import dev.hcewallet.TokenSyncReport

object TokenSyncText {
    fun summary(r: TokenSyncReport): String {
        val parts = mutableListOf<String>()
        if (r.requestsSent > 0u) parts += "${r.requestsSent} request(s) sent to your bank"
        if (r.requestsWaiting > 0u) parts += "${r.requestsWaiting} request(s) will be sent when your bank is reachable"
        when (val s = r.status) {
            is TokenStatusOutcome.Applied -> parts += "card updates from your bank applied"
            is TokenStatusOutcome.NotModified -> parts += "cards are up to date"
            is TokenStatusOutcome.Skipped -> parts += "checked recently"
            is TokenStatusOutcome.Failed -> parts += "your bank could not be reached (${s.reason})"
        }
        if (r.replenished.isNotEmpty()) parts += "new payment keys for ${r.replenished.size} card(s)"
        r.replenishError?.let { parts += "payment keys not topped up yet" }
        return parts.joinToString("; ").replaceFirstChar { it.uppercase() } + "."
    }
}
