// Shared screen plumbing (framework views only): a base activity that asks for the NFC
// preference while in front and reports the UI context, a refresh registry, view helpers.
package dev.hcewallet.sample.ui

import android.app.Activity
import android.content.Context
import android.content.Intent
import android.graphics.Typeface
import android.os.Bundle
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import dev.hcewallet.Wallet
import dev.hcewallet.sample.SampleApp
import dev.hcewallet.sample.logic.UiContextTracker
import dev.hcewallet.sample.logic.WalletSession
import dev.hcewallet.sample.nfc.NfcSetup
import java.util.Collections
import java.util.WeakHashMap

object Screens {
    private val live: MutableSet<WalletActivity> = Collections.newSetFromMap(WeakHashMap())

    fun add(a: WalletActivity) { live.add(a) }
    fun remove(a: WalletActivity) { live.remove(a) }
    fun refreshAll() { live.toList().forEach { it.refresh() } }
}

abstract class WalletActivity : Activity() {
    protected val app: SampleApp get() = SampleApp.instance
    protected lateinit var column: LinearLayout
    private val watcher: (WalletSession.State) -> Unit = { runOnUiThread { onSession(it) } }

    /** The UI context this screen stands for (Home, a pass, or none). */
    open val screen: UiContextTracker.Screen get() = UiContextTracker.Screen.Home

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL; setPadding(32, 32, 32, 32) }
        // targetSdk 35+ draws edge to edge: keep the content out of the system bars.
        setContentView(ScrollView(this).apply { fitsSystemWindows = true; addView(column) })
    }

    override fun onResume() {
        super.onResume()
        Screens.add(this)
        NfcSetup.preferWhileInFront(this)
        app.uiContext.screen(screen)
        app.session.watch(watcher)
        app.checkCredential() // screen lock removed or set meanwhile (no broadcast says so)
    }

    override fun onPause() {
        app.session.unwatch(watcher)
        app.uiContext.screen(UiContextTracker.Screen.None)
        NfcSetup.releasePreference(this)
        Screens.remove(this)
        super.onPause()
    }

    private fun onSession(s: WalletSession.State) {
        if (s is WalletSession.State.LostKey && this !is LostKeyActivity) {
            startActivity(Intent(this, LostKeyActivity::class.java))
            finish()
            return
        }
        refresh()
    }

    /** Rebuild the views from the wallet (main thread; wallet reads are in-memory). */
    fun refresh() {
        column.removeAllViews()
        val w = app.session.wallet
        if (w == null) {
            renderClosed(app.session.state)
            return
        }
        render(w)
    }

    /** No open wallet (opening, before first unlock, failed). */
    protected open fun renderClosed(s: WalletSession.State) {
        val why = (s as? WalletSession.State.Failed)?.message ?: s.javaClass.simpleName
        column.addView(text("Opening the wallet… ($why)"))
    }

    protected abstract fun render(wallet: Wallet)

    protected fun text(s: String, bold: Boolean = false, size: Float = 16f) = TextView(this).apply {
        text = s
        textSize = size
        if (bold) setTypeface(typeface, Typeface.BOLD)
        setPadding(0, 12, 0, 12)
    }

    protected fun button(label: String, onClick: () -> Unit) = Button(this).apply {
        text = label
        setOnClickListener { onClick() }
    }

    protected fun add(v: View) = column.addView(v, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT))

    protected fun open(cls: Class<out Activity>, extra: Pair<String, String>? = null) =
        startActivity(Intent(this, cls).apply { extra?.let { putExtra(it.first, it.second) } })
}

fun Context.dp(v: Int): Int = (v * resources.displayMetrics.density).toInt()
