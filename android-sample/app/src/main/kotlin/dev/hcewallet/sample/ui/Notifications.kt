// Notifications: the chooser ("choose a pass, then tap again") opening the picker,
// "unlock to use your pass" (UnlockRequired on the lock screen), and the payment notices
// (PaymentNotices: verify and tap again → the pay screen; keys, default card, card state →
// the cards screen; a payment made or declined → a toast).
package dev.hcewallet.sample.ui

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.widget.Toast
import dev.hcewallet.sample.logic.EventSink
import dev.hcewallet.sample.logic.PaymentNotice
import dev.hcewallet.sample.service

object Notifications {
    const val CHANNEL_TAP = "tap"
    const val ID_CHOOSER = 1
    const val ID_UNLOCK = 2
    const val CHANNEL_CARDS = "cards"
    /** One id for payment notices; the notice's key is the tag (one per kind and card). */
    const val ID_PAYMENT = 3

    fun createChannels(ctx: Context) {
        val ch = NotificationChannel(CHANNEL_TAP, "At the terminal", NotificationManager.IMPORTANCE_HIGH)
        ch.description = "Choose a pass, unlock to tap, verify to pay"
        ch.lockscreenVisibility = Notification.VISIBILITY_PRIVATE
        val cards = NotificationChannel(CHANNEL_CARDS, "Your cards", NotificationManager.IMPORTANCE_DEFAULT)
        cards.description = "Payment keys, default card, card suspended or resumed"
        cards.lockscreenVisibility = Notification.VISIBILITY_PRIVATE
        ctx.service<NotificationManager>().createNotificationChannels(listOf(ch, cards))
    }

    private fun opening(ctx: Context, intent: Intent, requestCode: Int) = PendingIntent.getActivity(
        ctx, requestCode, intent.addFlags(Intent.FLAG_ACTIVITY_NEW_TASK),
        PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
    )

    /** A payment notice: a toast for a payment made or declined, else a notification. */
    fun payment(ctx: Context, n: PaymentNotice) {
        if (n.kind == PaymentNotice.Kind.PAYMENT) {
            Toast.makeText(ctx, "${n.title}. ${n.text}", Toast.LENGTH_LONG).show()
            return
        }
        val verify = n.kind == PaymentNotice.Kind.VERIFY
        val b = Notification.Builder(ctx, if (verify) CHANNEL_TAP else CHANNEL_CARDS)
            .setSmallIcon(if (verify) android.R.drawable.ic_lock_idle_lock else android.R.drawable.ic_dialog_info)
            .setContentTitle(n.title)
            .setContentText(n.text)
            .setStyle(Notification.BigTextStyle().bigText(n.text))
            .setContentIntent(
                if (verify) opening(ctx, Intent(ctx, PayActivity::class.java).putExtra(PayActivity.EXTRA_VERIFY, true), 1)
                else opening(ctx, Intent(ctx, CardsActivity::class.java), 2),
            )
            .setAutoCancel(true)
        if (verify) b.setTimeoutAfter(60_000).setCategory(Notification.CATEGORY_STATUS)
        nm(ctx).notify(n.key, ID_PAYMENT, b.build())
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
        override fun payment(notice: PaymentNotice) = payment(ctx, notice)
    }
}
