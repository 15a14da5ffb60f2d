// Lock-screen behaviour (the core's LockedPolicy, applied when the wallet next opens), key
// sync status and "sync now", observe mode on Android 15+, the NFC payment default, sign-out.
package dev.hcewallet.sample.ui

import android.app.AlertDialog
import android.os.Build
import android.widget.Switch
import android.widget.Toast
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.Formats
import dev.hcewallet.sample.nfc.NfcSetup

class SettingsActivity : WalletActivity() {
    override fun render(wallet: Wallet) {
        val prefs = getSharedPreferences("settings", MODE_PRIVATE)
        add(text("Settings", bold = true, size = 22f))
        add(Switch(this).apply {
            text = "Send passes from the lock screen (otherwise: \"unlock to use\", 9300)"
            isChecked = prefs.getBoolean("passes_on_lock_screen", false)
            setOnCheckedChangeListener { _, on ->
                prefs.edit().putBoolean("passes_on_lock_screen", on).apply()
                Toast.makeText(this@SettingsActivity, "Applies when the app next starts", Toast.LENGTH_LONG).show()
            }
        })
        val st = try { wallet.syncStatus() } catch (e: WalletException) { null }
        add(text("Key sync: " + (st?.let {
            "bundle ${it.bundleSequence ?: "none"}, last success ${it.lastSuccessMs?.let(Formats::time) ?: "never"}" +
                (it.lastError?.let { e -> ", last error $e" } ?: "") +
                (it.nextAttemptMs?.let { t -> ", next ${Formats.time(t)}" } ?: "")
        } ?: "unknown")))
        add(button("Sync keys now") {
            app.io.execute {
                val r = try { wallet.syncNow().toString() } catch (e: WalletException) { e.message ?: "failed" }
                runOnUiThread { Toast.makeText(this, r, Toast.LENGTH_LONG).show(); refresh() }
            }
        })
        add(text("Default payment app: " + if (NfcSetup.isDefaultPaymentApp(this)) "this app" else "another app"))
        add(text("An app in front may pay instead of the default: " + if (NfcSetup.foregroundMayPay(this)) "yes" else "no"))
        add(button("Change the default payment app") { startActivity(NfcSetup.defaultPaymentIntent(this)) })
        add(button("Sign out (deletes every card from this phone)") {
            AlertDialog.Builder(this)
                .setTitle("Sign out?")
                .setMessage("Every card is deleted from this phone and its payment keys wiped. Passes stay.")
                .setPositiveButton("Sign out") { _, _ ->
                    app.io.execute {
                        val r = try { app.signOut(); "Signed out: cards deleted" } catch (e: WalletException) { e.message ?: "failed" }
                        runOnUiThread { Toast.makeText(this, r, Toast.LENGTH_LONG).show(); refresh() }
                    }
                }
                .setNegativeButton(android.R.string.cancel, null)
                .show()
        })
        if (Build.VERSION.SDK_INT >= 35) {
            add(Switch(this).apply {
                text = "Observe mode (Android 15+): listen to the polling loop first"
                isChecked = prefs.getBoolean("observe_mode", false)
                setOnCheckedChangeListener { _, on ->
                    prefs.edit().putBoolean("observe_mode", on).apply()
                    val line = NfcSetup.configureObserveMode(this@SettingsActivity, on, prefs.getString("polling_filter", null))
                    Toast.makeText(this@SettingsActivity, line, Toast.LENGTH_LONG).show()
                }
            })
        }
    }
}
