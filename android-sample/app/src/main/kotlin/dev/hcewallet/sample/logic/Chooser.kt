// The chooser (spec §12: ≥ 2 eligible passes on the home screen → 9302 + ChooserRequired):
// the pending question for the notification and picker, and the user's answer. The core
// keeps the choice for chooserWindowMs and sends it on the next tap; this state only drives
// the UI (shown / answered / expired).
package dev.hcewallet.sample.logic

class ChooserState(private val windowMs: Long, private val clock: () -> Long = System::currentTimeMillis) {
    data class Pending(val collectorId: UInt, val candidates: List<String>, val atMs: Long)
    data class Chosen(val collectorId: UInt, val objectId: String, val untilMs: Long)

    private var pending: Pending? = null
    private var chosen: Chosen? = null

    /** A ChooserRequired event; true when a (new) notification should be shown. */
    @Synchronized
    fun onChooserRequired(collectorId: UInt, candidates: List<String>): Boolean {
        val p = Pending(collectorId, candidates.distinct(), clock())
        val same = pending()?.let { it.collectorId == p.collectorId && it.candidates == p.candidates } == true
        pending = p
        chosen = null
        return !same
    }

    /** The question the picker shows, or null (none asked, or answered, or expired). */
    @Synchronized
    fun pending(): Pending? = pending?.takeIf { clock() - it.atMs <= windowMs }

    /**
     * The user picked [objectId]: [choose] is Wallet.choosePass. Refuses an ID that was not
     * offered or a question that expired (the user taps again and gets a new one).
     */
    @Synchronized
    fun pick(objectId: String, choose: (String) -> Unit): Chosen {
        val p = pending() ?: throw IllegalStateException("no chooser question open")
        require(objectId in p.candidates) { "$objectId was not offered" }
        choose(objectId)
        val c = Chosen(p.collectorId, objectId, clock() + windowMs)
        chosen = c
        pending = null
        return c
    }

    /** The choice waiting for the next tap, or null. */
    @Synchronized
    fun chosen(): Chosen? = chosen?.takeIf { clock() <= it.untilMs }

    /** PassSent / NothingEligible / Deactivated after the re-tap: the question is over. */
    @Synchronized
    fun onPassSent(objectId: String) {
        if (chosen?.objectId == objectId) chosen = null
        pending = null
    }
}
