// Which system flow makes this app the default for payment (payment AIDs reach only the
// default payment service, payment spec §3). Android 15+ (API 35) folds the payment default
// into the "Wallet" role (RoleManager.ROLE_WALLET); before, and where the role is not
// offered, CardEmulation.ACTION_CHANGE_DEFAULT with category payment asks the user.
package dev.hcewallet.sample.logic

object DefaultPayment {
    enum class Flow {
        /** Already the default (isDefaultServiceForCategory / the role is held): nothing to ask. */
        NONE,
        /** RoleManager.createRequestRoleIntent(ROLE_WALLET). */
        WALLET_ROLE,
        /** CardEmulation.ACTION_CHANGE_DEFAULT, EXTRA_CATEGORY = payment, EXTRA_SERVICE_COMPONENT. */
        CHANGE_DEFAULT,
    }

    fun flow(sdkInt: Int, isDefault: Boolean, walletRoleAvailable: Boolean, walletRoleHeld: Boolean): Flow = when {
        isDefault || (sdkInt >= 35 && walletRoleAvailable && walletRoleHeld) -> Flow.NONE
        sdkInt >= 35 && walletRoleAvailable -> Flow.WALLET_ROLE
        else -> Flow.CHANGE_DEFAULT
    }
}
