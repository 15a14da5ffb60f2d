package dev.hcewallet.sample

import android.content.Context

/** Context.getSystemService is @Nullable in the SDK; the services used here always exist. */
inline fun <reified T : Any> Context.service(): T =
    getSystemService(T::class.java) ?: throw IllegalStateException("no ${T::class.java.simpleName}")
