// The AIDs and categories of HceService, in one place. res/xml/apduservice.xml must list the
// same static groups; `make android-sample-check` (ManifestCheck) fails when they differ.
package dev.hcewallet.sample.logic

object Aids {
    /** CardEmulation.CATEGORY_OTHER / CATEGORY_PAYMENT (the framework's string values). */
    const val CATEGORY_OTHER = "other"
    const val CATEGORY_PAYMENT = "payment"

    /** Smart Tap: "OSE.VAS.01" and Smart Tap 2. */
    const val SMART_TAP_OSE = "4F53452E5641532E3031"
    const val SMART_TAP_2 = "A000000476D0000111"

    /** "2PAY.SYS.DDF01" and UnionPay credit, the demo token's AID. */
    const val PPSE = "325041592E5359532E4444463031"
    const val UNIONPAY_CREDIT = "A000000333010102"

    /** The service class the manifest declares (`.nfc.HceService` under the namespace). */
    const val SERVICE_CLASS = "dev.hcewallet.sample.nfc.HceService"

    /** The static AID groups of apduservice.xml, by category. */
    val STATIC: Map<String, List<String>> = linkedMapOf(
        CATEGORY_OTHER to listOf(SMART_TAP_OSE, SMART_TAP_2),
        CATEGORY_PAYMENT to listOf(PPSE, UNIONPAY_CREDIT),
    )

    /** A whole AID as the framework accepts it here: even-length upper-case hex, 5–16 bytes. */
    fun isValid(aid: String): Boolean =
        aid.length in 10..32 && aid.length % 2 == 0 && aid.all { it in '0'..'9' || it in 'A'..'F' }

    fun hex(bytes: ByteArray): String = bytes.joinToString("") { "%02X".format(it.toInt() and 0xFF) }

    fun unhex(s: String): ByteArray = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }
}
