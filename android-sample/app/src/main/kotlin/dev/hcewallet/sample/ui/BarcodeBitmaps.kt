package dev.hcewallet.sample.ui

import android.graphics.Bitmap
import android.graphics.Color
import com.google.zxing.common.BitMatrix

object BarcodeBitmaps {
    fun bitmap(m: BitMatrix): Bitmap {
        val w = m.width
        val h = m.height
        val pixels = IntArray(w * h)
        for (y in 0 until h) for (x in 0 until w) pixels[y * w + x] = if (m.get(x, y)) Color.BLACK else Color.WHITE
        return Bitmap.createBitmap(pixels, w, h, Bitmap.Config.ARGB_8888)
    }
}
