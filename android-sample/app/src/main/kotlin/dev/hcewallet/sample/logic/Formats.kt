// Text for the list, detail and activity screens.
package dev.hcewallet.sample.logic

import dev.hcewallet.Activity
import dev.hcewallet.PassInfo
import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale

object Formats {
    fun time(ms: Long): String = SimpleDateFormat("yyyy-MM-dd HH:mm:ss", Locale.ROOT).format(Date(ms))

    fun title(p: PassInfo): String = p.title ?: p.issuerName ?: p.objectId

    fun balance(p: PassInfo): String? = p.balance?.let { b -> (p.balanceLabel?.let { "$it: " } ?: "") + b }

    fun lastUpdate(p: PassInfo): String? = p.lastTerminalUpdate?.let { u ->
        val what = listOfNotNull(u.usageTitle, u.usageDescription).joinToString(" — ").ifEmpty { "updated" }
        "${time(u.atMs)} terminal ${u.collectorId}: $what" + if (u.balanceChanged) " (balance changed)" else ""
    }

    fun listLine(p: PassInfo): String = listOfNotNull(
        title(p), balance(p), lastUpdate(p)?.let { "last tap: $it" }, if (p.smartTapEnabled) null else "Smart Tap off",
    ).joinToString("\n")

    fun activity(a: Activity): String = listOfNotNull(
        time(a.atMs), a.kind, a.collectorId?.let { "terminal $it" }, a.objectId, a.detail,
    ).joinToString("  ")
}
