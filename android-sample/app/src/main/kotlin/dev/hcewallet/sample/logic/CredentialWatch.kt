// Screen-lock removal (payment spec §12.3: removing the device credential suspends the
// tokens — no CDCVM is possible without it — and setting one lifts that hold). Android has no
// broadcast for it, so every screen's onResume (and app start) reports
// KeyguardManager.isDeviceSecure here; a change since the last look becomes a DeviceEvent.
package dev.hcewallet.sample.logic

import dev.hcewallet.DeviceEvent

/** Where the last observation is kept across process restarts (SharedPreferences). */
interface FlagStore {
    fun get(): Boolean?
    fun set(value: Boolean)
}

class CredentialWatch(private val store: FlagStore, private val report: (DeviceEvent) -> Unit) {
    /**
     * [secure] is KeyguardManager.isDeviceSecure now. Returns the event reported, if any. The
     * first observation only records. If [report] throws (the wallet could not write), the
     * old observation stays so the next check reports again.
     */
    @Synchronized
    fun check(secure: Boolean): DeviceEvent? {
        val event = when (store.get()) {
            true -> DeviceEvent.CREDENTIAL_REMOVED.takeIf { !secure }
            false -> DeviceEvent.CREDENTIAL_SET.takeIf { secure }
            null -> null
        }
        event?.let(report)
        store.set(secure)
        return event
    }
}
