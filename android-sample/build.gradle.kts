// Versions live here once; app/build.gradle.kts applies the plugins.
plugins {
    id("com.android.application") version "8.13.0" apply false
    id("org.jetbrains.kotlin.android") version "2.4.20" apply false
}
