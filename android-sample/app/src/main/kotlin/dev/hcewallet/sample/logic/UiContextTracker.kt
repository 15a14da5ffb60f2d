// The core's UiContext from what the app sees: which wallet screen is in front (if any) and
// whether the keyguard is up. Sends Wallet.setUiContext only on a change.
package dev.hcewallet.sample.logic

import dev.hcewallet.UiContext

class UiContextTracker(private val apply: (UiContext) -> Unit) {
    private var screen: Screen = Screen.None
    private var locked = false
    private var last: UiContext? = null

    sealed class Screen {
        object None : Screen()
        object Home : Screen()
        data class Pass(val objectId: String) : Screen()
    }

    @Synchronized
    fun screen(s: Screen) { screen = s; push() }

    @Synchronized
    fun locked(isLocked: Boolean) { locked = isLocked; push() }

    @Synchronized
    fun current(): UiContext = when {
        locked -> UiContext.Locked
        screen is Screen.Pass -> UiContext.PassOpen((screen as Screen.Pass).objectId)
        screen is Screen.Home -> UiContext.Home
        else -> UiContext.Unlocked
    }

    /** Re-sends the context (after the wallet was (re)opened). */
    @Synchronized
    fun resend() { last = null; push() }

    private fun push() {
        val c = current()
        if (c != last) { last = c; apply(c) }
    }
}
