// The HCE entry point. Keeps no state of its own (everything lives in the process-wide
// ApduGate, opened by SampleApp), so the service may be created and destroyed by the
// framework at will — and a desktop test can drive processCommandApdu directly.
package dev.hcewallet.sample.nfc

import android.annotation.TargetApi
import android.nfc.cardemulation.HostApduService
import android.nfc.cardemulation.PollingFrame
import android.os.Bundle
import dev.hcewallet.sample.logic.ApduGate
import dev.hcewallet.sample.logic.PollingLoopLog

class HceService : HostApduService() {
    /**
     * Runs on the main thread. The JNI fast path answers from the core's in-memory state in
     * well under a millisecond, so the answer is returned at once (no sendResponseApdu).
     */
    override fun processCommandApdu(commandApdu: ByteArray?, extras: Bundle?): ByteArray =
        ApduGate.process(commandApdu ?: ByteArray(0))

    /** Link loss or another AID selected: the core resets its per-tap state. */
    override fun onDeactivated(reason: Int) = ApduGate.deactivated(reason)

    /**
     * Android 15+ (API 35): polling-loop frames, delivered when the service is in observe
     * mode or has polling-loop filters (NfcSetup.configureObserveMode). The sample only
     * records them (type, gain, timestamp) for the activity screen and logcat; a product
     * could, say, show the pass before the terminal's first SELECT. Cannot be tested off a
     * phone: the desktop test covers processCommandApdu only.
     */
    @TargetApi(35)
    override fun processPollingFrames(frame: List<PollingFrame>) {
        for (f in frame) PollingLoopLog.record(f.type, f.vendorSpecificGain, f.timestamp, f.data)
    }
}
