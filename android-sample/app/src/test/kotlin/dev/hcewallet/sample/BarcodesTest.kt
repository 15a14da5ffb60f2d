package dev.hcewallet.sample

import com.google.zxing.BinaryBitmap
import com.google.zxing.MultiFormatReader
import com.google.zxing.RGBLuminanceSource
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.DecodeHintType
import com.google.zxing.common.BitMatrix
import dev.hcewallet.sample.logic.BarcodeSpec
import dev.hcewallet.sample.logic.Barcodes
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Test

class BarcodesTest {
    /** Reads the matrix back with ZXing's own decoder (quiet zone added). */
    private fun decode(m: BitMatrix): String {
        val pad = 20
        val w = m.width + 2 * pad
        val h = m.height + 2 * pad
        val px = IntArray(w * h) { -1 }
        for (y in 0 until m.height) for (x in 0 until m.width) if (m.get(x, y)) px[(y + pad) * w + x + pad] = 0xFF000000.toInt()
        val bmp = BinaryBitmap(HybridBinarizer(RGBLuminanceSource(w, h, px)))
        return MultiFormatReader().decode(bmp, mapOf(DecodeHintType.TRY_HARDER to true, DecodeHintType.PURE_BARCODE to false)).text
    }

    @Test
    fun everyWalletSymbologyRendersAndReadsBack() {
        val cases = listOf(
            "QR_CODE" to "SAMPLE-1234", "PDF_417" to "SAMPLE-1234", "AZTEC" to "SAMPLE-1234",
            "CODE_128" to "SAMPLE-1234", "CODE_39" to "SAMPLE1234", "DATA_MATRIX" to "SAMPLE-1234",
            "EAN_13" to "4006381333931", "EAN_8" to "96385074", "UPC_A" to "036000291452", "ITF_14" to "00012345678905",
        )
        for ((type, value) in cases) {
            val m = Barcodes.encode(BarcodeSpec(type, value, null), 600)
            assertNotNull(type, m)
            assertEquals(type, value, decode(m!!))
        }
    }

    @Test
    fun textOnlyAndImpossibleValuesDrawNothing() {
        assertNull(Barcodes.encode(BarcodeSpec("TEXT_ONLY", "x", null), 300))
        assertNull(Barcodes.encode(BarcodeSpec("EAN_13", "letters", null), 300))
    }
}
