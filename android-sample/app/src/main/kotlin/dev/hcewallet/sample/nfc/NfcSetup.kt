// Everything the app tells the NFC stack besides the static apduservice.xml: run-time AID
// groups, the foreground preference, the default-payment flow, observe mode.
package dev.hcewallet.sample.nfc

import android.annotation.TargetApi
import android.app.Activity
import android.app.role.RoleManager
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.nfc.NfcAdapter
import android.nfc.cardemulation.CardEmulation
import android.os.Build
import android.provider.Settings
import dev.hcewallet.sample.logic.AidRouting
import dev.hcewallet.sample.logic.DefaultPayment

object NfcSetup {
    fun component(ctx: Context) = ComponentName(ctx, HceService::class.java)

    private fun cardEmulation(ctx: Context): CardEmulation? {
        val adapter = NfcAdapter.getDefaultAdapter(ctx) ?: return null
        return try { CardEmulation.getInstance(adapter) } catch (e: UnsupportedOperationException) { null }
    }

    fun nfcState(ctx: Context): String {
        val adapter = NfcAdapter.getDefaultAdapter(ctx) ?: return "no NFC on this device"
        return if (adapter.isEnabled) "NFC on" else "NFC off (Settings > Connected devices > NFC)"
    }

    /**
     * Run-time AID groups for HceService (AidRegistrar feeds it the wallet's AID set).
     * registerAidsForService replaces the service's dynamic group of that category, and a
     * dynamic group takes precedence over the static one of apduservice.xml, so the wallet's
     * set repeats the static AIDs (PPSE, Smart Tap). removeAidsForService drops the dynamic
     * group: the static one applies again.
     */
    fun routing(ctx: Context): AidRouting = object : AidRouting {
        override fun register(category: String, aids: List<String>): Boolean =
            cardEmulation(ctx)?.registerAidsForService(component(ctx), category, aids) == true

        override fun remove(category: String): Boolean =
            cardEmulation(ctx)?.removeAidsForService(component(ctx), category) == true
    }

    /** onResume of every wallet screen: win the OSE AID over Google Wallet while in front. */
    fun preferWhileInFront(activity: Activity) {
        cardEmulation(activity)?.setPreferredService(activity, component(activity))
    }

    /** onPause: give the preference back. */
    fun releasePreference(activity: Activity) {
        cardEmulation(activity)?.unsetPreferredService(activity)
    }

    fun isDefaultPaymentApp(ctx: Context): Boolean =
        cardEmulation(ctx)?.isDefaultServiceForCategory(component(ctx), CardEmulation.CATEGORY_PAYMENT) == true

    /**
     * Whether the user lets an app in front take payments from the default app (Settings >
     * Contactless payments > "Use default" / "Except when another payment app is open"):
     * only then does setPreferredService reach the payment AIDs too.
     */
    fun foregroundMayPay(ctx: Context): Boolean =
        cardEmulation(ctx)?.categoryAllowsForegroundPreference(CardEmulation.CATEGORY_PAYMENT) == true

    /**
     * The system dialog that makes this app the default for payment (DefaultPayment.flow),
     * or null when it already is.
     */
    fun changeDefaultIntent(ctx: Context): Intent? {
        val rm = if (Build.VERSION.SDK_INT >= 35) ctx.getSystemService(RoleManager::class.java) else null
        val available = rm != null && Build.VERSION.SDK_INT >= 35 && rm.isRoleAvailable(RoleManager.ROLE_WALLET)
        val held = available && rm?.isRoleHeld(RoleManager.ROLE_WALLET) == true
        return when (DefaultPayment.flow(Build.VERSION.SDK_INT, isDefaultPaymentApp(ctx), available, held)) {
            DefaultPayment.Flow.NONE -> null
            DefaultPayment.Flow.WALLET_ROLE -> rm?.createRequestRoleIntent(RoleManager.ROLE_WALLET)
            DefaultPayment.Flow.CHANGE_DEFAULT -> Intent(CardEmulation.ACTION_CHANGE_DEFAULT)
                .putExtra(CardEmulation.EXTRA_CATEGORY, CardEmulation.CATEGORY_PAYMENT)
                .putExtra(CardEmulation.EXTRA_SERVICE_COMPONENT, component(ctx))
        }
    }

    /** The dialog above, or the system's contactless-payment settings when already default. */
    fun defaultPaymentIntent(ctx: Context): Intent =
        changeDefaultIntent(ctx) ?: Intent(Settings.ACTION_NFC_PAYMENT_SETTINGS)

    /**
     * Android 15+ observe mode: the controller only listens to the field until a
     * polling-loop filter of this service matches (autoTransact) or the app allows
     * transactions; the frames arrive in HceService.processPollingFrames. Off by default in
     * the sample (its taps must work on every phone); the settings screen turns it on.
     * Returns a line for the UI.
     */
    @TargetApi(35)
    fun configureObserveMode(ctx: Context, enabled: Boolean, pollingFilterHex: String?): String {
        if (Build.VERSION.SDK_INT < 35) return "observe mode needs Android 15"
        val adapter = NfcAdapter.getDefaultAdapter(ctx) ?: return "no NFC"
        if (!adapter.isObserveModeSupported) return "this NFC controller has no observe mode"
        val ce = cardEmulation(ctx) ?: return "no card emulation"
        val c = component(ctx)
        val set = ce.setShouldDefaultToObserveModeForService(c, enabled)
        val filter = pollingFilterHex?.takeIf { enabled && it.isNotBlank() }?.let {
            ce.registerPollingLoopFilterForService(c, it, true)
        }
        return "observe mode default=$enabled ($set)" + (filter?.let { ", polling filter $pollingFilterHex ($it)" } ?: "")
    }
}
