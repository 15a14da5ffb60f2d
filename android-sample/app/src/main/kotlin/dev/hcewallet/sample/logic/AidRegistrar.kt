// Run-time AID registration: the wallet reports the AIDs it answers, by category
// (Wallet.aidSet after open, WalletEvent.AidSetChanged after a token change), and this class
// hands each category's group to CardEmulation.registerAidsForService — behind AidRouting so
// a JVM test can check that the app registers exactly what the wallet reports.
package dev.hcewallet.sample.logic

import dev.hcewallet.AidCategory
import dev.hcewallet.AidSet

/** The part of CardEmulation the registrar uses, for this app's HceService. */
interface AidRouting {
    /** registerAidsForService(service, category, aids): replaces the dynamic group. */
    fun register(category: String, aids: List<String>): Boolean

    /** removeAidsForService(service, category): the static group of apduservice.xml again. */
    fun remove(category: String): Boolean
}

class AidRegistrar(private val routing: AidRouting, private val log: (String) -> Unit = {}) {
    private val applied = HashMap<String, List<String>>()

    /** What was last registered, by category (a category never registered is absent). */
    @Synchronized
    fun registered(): Map<String, List<String>> = HashMap(applied)

    /**
     * Registers every group of [set] whose AIDs differ from what was last registered. A
     * dynamic group takes the place of the static group of its category, so the wallet's set
     * carries the static AIDs too (PPSE, Smart Tap). An invalid AID would make the framework
     * refuse the whole group: it is left out and logged. A group left empty is removed. A
     * refused registration is retried at the next call. Returns the categories it changed.
     */
    @Synchronized
    fun apply(set: AidSet): List<String> {
        val changed = ArrayList<String>()
        for (group in set.groups) {
            val category = category(group.category)
            val (good, bad) = group.aids.map { it.uppercase() }.distinct().partition(Aids::isValid)
            if (bad.isNotEmpty()) log("AIDs left out of $category (not 5–16 bytes of hex): $bad")
            if (applied[category] == good) continue
            val ok = if (good.isEmpty()) routing.remove(category) else routing.register(category, good)
            log("${if (good.isEmpty()) "removeAidsForService" else "registerAidsForService"}($category, $good) = $ok")
            if (ok) { applied[category] = good; changed += category } else applied.remove(category)
        }
        return changed
    }

    companion object {
        fun category(c: AidCategory): String = when (c) {
            AidCategory.PAYMENT -> Aids.CATEGORY_PAYMENT
            AidCategory.OTHER -> Aids.CATEGORY_OTHER
        }
    }
}
