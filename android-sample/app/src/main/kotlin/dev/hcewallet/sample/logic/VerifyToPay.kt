// "Verify, then tap within N s" (payment spec §10: the pre-authenticated window is the
// wallet's decision; the core takes "CDCVM valid until t"). Which system prompt verifies the
// user, which CDCVM method the result stands for, and the countdown the pay screen shows.
package dev.hcewallet.sample.logic

import dev.hcewallet.CdcvmMethod

enum class VerifyPrompt {
    /** android.hardware.biometrics.BiometricPrompt, device credential allowed (API 28+). */
    BIOMETRIC_PROMPT,
    /** KeyguardManager.createConfirmDeviceCredentialIntent (API 26–27). */
    CONFIRM_CREDENTIAL,
    /** No screen lock: the user cannot be verified (cards are suspended meanwhile). */
    NONE,
}

class VerifyToPay(
    /** How long a verification counts (the "N s"); each verification starts it anew. */
    val windowMs: Long = DEFAULT_WINDOW_MS,
    private val clock: () -> Long = System::currentTimeMillis,
) {
    companion object {
        const val DEFAULT_WINDOW_MS = 30_000L
        /** BiometricPrompt.AUTHENTICATION_RESULT_TYPE_DEVICE_CREDENTIAL / _BIOMETRIC (API 30). */
        const val RESULT_DEVICE_CREDENTIAL = 1
        const val RESULT_BIOMETRIC = 2

        fun prompt(sdkInt: Int, deviceSecure: Boolean): VerifyPrompt = when {
            !deviceSecure -> VerifyPrompt.NONE
            sdkInt >= 28 -> VerifyPrompt.BIOMETRIC_PROMPT
            else -> VerifyPrompt.CONFIRM_CREDENTIAL
        }

        /**
         * The method a prompt's success stands for: BiometricPrompt reports the type from API
         * 30 (null before: biometric, the prompt's first offer); the credential screen is the
         * device passcode.
         */
        fun method(prompt: VerifyPrompt, resultType: Int?): CdcvmMethod = when {
            prompt == VerifyPrompt.CONFIRM_CREDENTIAL -> CdcvmMethod.DEVICE_PASSCODE
            resultType == RESULT_DEVICE_CREDENTIAL -> CdcvmMethod.DEVICE_PASSCODE
            else -> CdcvmMethod.BIOMETRIC
        }
    }

    private var until: Long? = null

    /** The prompt succeeded: [userVerified] is Wallet.userVerified; the window starts now. */
    @Synchronized
    fun verified(method: CdcvmMethod, userVerified: (CdcvmMethod, ULong) -> Unit) {
        userVerified(method, windowMs.toULong())
        until = clock() + windowMs
    }

    /** Milliseconds left to tap, 0 when not verified or the window is over. */
    @Synchronized
    fun remainingMs(): Long = until?.let { maxOf(0L, it - clock()) } ?: 0L

    /** A payment went out: the window was used (the core keeps it until it expires). */
    @Synchronized
    fun paid() { until = null }

    /** The line on the pay screen. */
    fun status(): String {
        val left = remainingMs()
        return if (left > 0) "Verified: hold the phone to the terminal within ${(left + 999) / 1000} s"
        else "Verify first, then hold the phone to the terminal within ${windowMs / 1000} s"
    }
}
