// A pass's barcode as a ZXing BitMatrix (ZXing core: pure Java, the same on the phone and the
// desktop). The Android side turns the matrix into a Bitmap (ui/BarcodeBitmaps.kt).
package dev.hcewallet.sample.logic

import com.google.zxing.BarcodeFormat
import com.google.zxing.EncodeHintType
import com.google.zxing.MultiFormatWriter
import com.google.zxing.WriterException
import com.google.zxing.common.BitMatrix

object Barcodes {
    /** Google Wallet `barcode.type` → ZXing format; null for TEXT_ONLY / unknown. */
    fun format(type: String): BarcodeFormat? = when (type.uppercase()) {
        "QR_CODE" -> BarcodeFormat.QR_CODE
        "PDF_417" -> BarcodeFormat.PDF_417
        "AZTEC" -> BarcodeFormat.AZTEC
        "CODE_128" -> BarcodeFormat.CODE_128
        "CODE_39" -> BarcodeFormat.CODE_39
        "DATA_MATRIX" -> BarcodeFormat.DATA_MATRIX
        "EAN_8" -> BarcodeFormat.EAN_8
        "EAN_13" -> BarcodeFormat.EAN_13
        "ITF_14" -> BarcodeFormat.ITF
        "UPC_A" -> BarcodeFormat.UPC_A
        "CODABAR" -> BarcodeFormat.CODABAR
        else -> null
    }

    fun isLinear(f: BarcodeFormat) = f !in setOf(BarcodeFormat.QR_CODE, BarcodeFormat.AZTEC, BarcodeFormat.DATA_MATRIX, BarcodeFormat.PDF_417)

    /** The matrix for [spec] at about [width] pixels wide, or null when nothing is drawn. */
    fun encode(spec: BarcodeSpec, width: Int): BitMatrix? {
        val f = format(spec.type) ?: return null
        val height = when {
            isLinear(f) -> width / 3
            f == BarcodeFormat.PDF_417 -> width / 2
            else -> width
        }
        val hints = mapOf(EncodeHintType.CHARACTER_SET to "UTF-8", EncodeHintType.MARGIN to 2)
        return try {
            MultiFormatWriter().encode(spec.value, f, width, height, hints)
        } catch (e: WriterException) {
            null
        } catch (e: IllegalArgumentException) {
            null // e.g. letters in an EAN-13
        }
    }
}
