// One pass. While this screen is in front the core's UI context is PassOpen(objectId): a tap
// sends this pass (if it is eligible for the terminal) and no other. The barcode, the
// per-pass Smart Tap switch, removal.
package dev.hcewallet.sample.ui

import android.widget.ImageView
import android.widget.Switch
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.BarcodeSpec
import dev.hcewallet.sample.logic.Barcodes
import dev.hcewallet.sample.logic.Formats
import dev.hcewallet.sample.logic.UiContextTracker

class PassDetailActivity : WalletActivity() {
    companion object { const val EXTRA_ID = "objectId" }

    private val objectId: String get() = intent.getStringExtra(EXTRA_ID) ?: ""

    override val screen: UiContextTracker.Screen get() = UiContextTracker.Screen.Pass(objectId)

    override fun render(wallet: Wallet) {
        val p = try { wallet.getPass(objectId) } catch (e: WalletException.NoSuchPass) { finish(); return }
        add(text(Formats.title(p), bold = true, size = 22f))
        add(text("Hold the phone to the terminal: this pass is the one sent."))
        Formats.balance(p)?.let { add(text(it, size = 20f)) }
        Formats.lastUpdate(p)?.let { add(text("Last terminal update: $it")) }
        add(text("${p.passType} · ${p.state} · ${p.objectId}"))
        val type = getSharedPreferences("barcodes", MODE_PRIVATE).getString(p.objectId, "QR_CODE") ?: "QR_CODE"
        p.barcodeValue?.let { value ->
            val m = Barcodes.encode(BarcodeSpec(type, value, null), resources.displayMetrics.widthPixels - 96)
            if (m != null) add(ImageView(this).apply { setImageBitmap(BarcodeBitmaps.bitmap(m)); adjustViewBounds = true })
            add(text(value))
        }
        add(Switch(this).apply {
            text = "Smart Tap for this pass"
            isChecked = p.smartTapEnabled
            isEnabled = p.hasRedemptionValue
            setOnCheckedChangeListener { _, on ->
                app.io.execute { wallet.setSmartTapEnabled(objectId, on); runOnUiThread { refresh() } }
            }
        })
        add(button("Remove this pass") {
            app.io.execute { wallet.removePass(objectId); runOnUiThread { finish() } }
        })
    }
}
