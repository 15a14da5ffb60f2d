// "Verify and tap within N s": the system prompt verifies the user — the framework
// BiometricPrompt (API 28+, screen lock allowed as the fallback) or, below 28, the
// confirm-device-credential screen — then Wallet.userVerified opens the CDCVM window and the
// screen counts down. Opened by the "verify to pay" notification (VerificationRequired: the
// terminal was told to wait, the user taps again), shown over the lock screen for that.
package dev.hcewallet.sample.ui

import android.annotation.TargetApi
import android.app.KeyguardManager
import android.content.Intent
import android.hardware.biometrics.BiometricManager
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.os.Bundle
import android.os.CancellationSignal
import android.widget.Toast
import dev.hcewallet.CdcvmMethod
import dev.hcewallet.TokenState
import dev.hcewallet.Wallet
import dev.hcewallet.WalletException
import dev.hcewallet.sample.logic.TokenScreen
import dev.hcewallet.sample.logic.VerifyPrompt
import dev.hcewallet.sample.logic.VerifyToPay
import dev.hcewallet.sample.service

class PayActivity : WalletActivity() {
    companion object {
        const val EXTRA_VERIFY = "verify"
        private const val CONFIRM_CREDENTIAL = 21
    }

    private val tick = Runnable { refresh() }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // The user was asked at the terminal: verifying must not need an unlock first.
        if (Build.VERSION.SDK_INT >= 27) setShowWhenLocked(true)
        if (savedInstanceState == null && intent.getBooleanExtra(EXTRA_VERIFY, false)) app.main.post { verify() }
    }

    override fun onPause() {
        app.main.removeCallbacks(tick)
        super.onPause()
    }

    override fun render(wallet: Wallet) {
        add(text("Pay", bold = true, size = 22f))
        val card = try { wallet.tokens().firstOrNull { it.isDefault && it.state == TokenState.ACTIVE } } catch (e: WalletException) { null }
        if (card == null) { add(text("No card can pay now. Open Cards to add or resume one.")); return }
        add(text(TokenScreen.title(card), size = 18f))
        add(text(TokenScreen.keys(card.keys)))
        add(text(app.verify.status(), bold = true))
        add(button("Verify") { verify() })
        app.main.removeCallbacks(tick)
        if (app.verify.remainingMs() > 0) app.main.postDelayed(tick, 1_000)
    }

    private fun verify() {
        val secure = service<KeyguardManager>().isDeviceSecure
        when (VerifyToPay.prompt(Build.VERSION.SDK_INT, secure)) {
            VerifyPrompt.BIOMETRIC_PROMPT -> biometricPrompt()
            VerifyPrompt.CONFIRM_CREDENTIAL -> confirmCredential()
            VerifyPrompt.NONE -> Toast.makeText(this, "Set a screen lock first: cards pay only on a phone that can verify you", Toast.LENGTH_LONG).show()
        }
    }

    private fun verified(method: CdcvmMethod) {
        val w = app.session.wallet ?: return
        app.verify.verified(method) { m, ms -> w.userVerified(m, ms) } // in memory only: no I/O
        refresh()
    }

    @TargetApi(28)
    private fun biometricPrompt() {
        val b = BiometricPrompt.Builder(this)
            .setTitle("Verify to pay")
            .setDescription("Then hold the phone to the terminal within ${app.verify.windowMs / 1000} s")
        when {
            Build.VERSION.SDK_INT >= 30 -> b.setAllowedAuthenticators(
                BiometricManager.Authenticators.BIOMETRIC_STRONG or BiometricManager.Authenticators.DEVICE_CREDENTIAL,
            )
            Build.VERSION.SDK_INT == 29 -> @Suppress("DEPRECATION") b.setDeviceCredentialAllowed(true)
            else -> b.setNegativeButton("Use screen lock", mainExecutor) { _, _ -> confirmCredential() }
        }
        b.build().authenticate(CancellationSignal(), mainExecutor, object : BiometricPrompt.AuthenticationCallback() {
            override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) {
                val type = if (Build.VERSION.SDK_INT >= 30) result.authenticationType else null
                verified(VerifyToPay.method(VerifyPrompt.BIOMETRIC_PROMPT, type))
            }

            override fun onAuthenticationError(code: Int, message: CharSequence) {
                // API 28 without enrolled biometrics: the screen lock instead.
                if (code == BiometricPrompt.BIOMETRIC_ERROR_NO_BIOMETRICS || code == BiometricPrompt.BIOMETRIC_ERROR_HW_NOT_PRESENT) {
                    confirmCredential()
                } else {
                    Toast.makeText(this@PayActivity, message, Toast.LENGTH_SHORT).show()
                }
            }
        })
    }

    private fun confirmCredential() {
        @Suppress("DEPRECATION")
        val i = service<KeyguardManager>().createConfirmDeviceCredentialIntent("Verify to pay", "Then hold the phone to the terminal")
        if (i == null) Toast.makeText(this, "Set a screen lock first", Toast.LENGTH_LONG).show()
        else startActivityForResult(i, CONFIRM_CREDENTIAL)
    }

    @Deprecated("framework API")
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        if (requestCode == CONFIRM_CREDENTIAL && resultCode == RESULT_OK) {
            verified(VerifyToPay.method(VerifyPrompt.CONFIRM_CREDENTIAL, null))
        }
    }
}
