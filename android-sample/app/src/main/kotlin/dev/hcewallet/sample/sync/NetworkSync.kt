// Sync on connectivity: the default network becoming available → Wallet.onNetworkAvailable
// on the io worker — token sync first when a token service is configured (the user's
// queued requests, the status feed, key top-ups), then key sync; the core decides what
// is due.
package dev.hcewallet.sample.sync

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.util.Log
import dev.hcewallet.WalletException
import dev.hcewallet.sample.SampleApp
import dev.hcewallet.sample.service

object NetworkSync {
    @Volatile private var registered = false

    fun register(ctx: Context) {
        if (registered) return
        registered = true
        val cm = ctx.service<ConnectivityManager>()
        cm.registerDefaultNetworkCallback(object : ConnectivityManager.NetworkCallback() {
            override fun onAvailable(network: Network) {
                val app = SampleApp.instance
                app.io.execute {
                    val w = app.session.wallet ?: return@execute
                    try {
                        Log.i(SampleApp.TAG, "network available: ${w.onNetworkAvailable()}")
                    } catch (e: WalletException) {
                        Log.w(SampleApp.TAG, "sync on network: ${e.message}")
                    }
                }
            }
        })
    }
}
