// Notifications: the chooser ("choose a pass, then tap again") opening the picker, and
// "unlock to use your pass" (UnlockRequired on the lock screen).
package dev.hcewallet.sample.ui

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.widget.Toast
import dev.hcewallet.sample.logic.EventSink
import dev.hcewallet.sample.service

object Notifications {
    const val CHANNEL_TAP = "tap"
    const val ID_CHOOSER = 1
    const val ID_UNLOCK = 2

    fun createChannels(ctx: Context) {
        val ch = NotificationChannel(CHANNEL_TAP, "At the terminal", NotificationManager.IMPORTANCE_HIGH)
        ch.description = "Choose a pass, unlock to tap"
        ch.lockscreenVisibility = Notification.VISIBILITY_PRIVATE
        ctx.service<NotificationManager>().createNotificationChannel(ch)
    }

    private fun nm(ctx: Context) = ctx.service<NotificationManager>()

    fun chooser(ctx: Context, count: Int) {
        val open = PendingIntent.getActivity(
            ctx, 0, Intent(ctx, ChooserActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        val n = Notification.Builder(ctx, CHANNEL_TAP)
            .setSmallIcon(android.R.drawable.stat_sys_data_bluetooth)
            .setContentTitle("Choose a pass")
            .setContentText("$count passes fit this terminal. Pick one, then tap again.")
            .setContentIntent(open)
            .setFullScreenIntent(null, false)
            .setAutoCancel(true)
            .setCategory(Notification.CATEGORY_RECOMMENDATION)
            .setTimeoutAfter(60_000)
            .build()
        nm(ctx).notify(ID_CHOOSER, n)
    }

    fun unlock(ctx: Context) {
        val n = Notification.Builder(ctx, CHANNEL_TAP)
            .setSmallIcon(android.R.drawable.ic_lock_lock)
            .setContentTitle("Unlock to use your pass")
            .setContentText("Unlock the phone, then hold it to the terminal again.")
            .setTimeoutAfter(30_000)
            .setAutoCancel(true)
            .build()
        nm(ctx).notify(ID_UNLOCK, n)
    }

    /** EventHub's sink on Android (called on the main thread). */
    class Sink(private val ctx: Context) : EventSink {
        override fun showChooser(candidates: List<String>) = chooser(ctx, candidates.size)
        override fun cancelChooser() = nm(ctx).cancel(ID_CHOOSER)
        override fun showUnlockNeeded() = unlock(ctx)
        override fun tapResult(line: String) = Toast.makeText(ctx, line, Toast.LENGTH_SHORT).show()
        override fun changed() = Screens.refreshAll()
    }
}
