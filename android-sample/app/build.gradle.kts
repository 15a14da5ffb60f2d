// The sample app. Framework APIs only (no AndroidX), so every source also compiles with
// kotlinc against android-all in `make android-sample-check`.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// The repository root (android-sample/ is one of its folders).
val repoRoot: File = rootProject.projectDir.parentFile
val useAar = (findProperty("hce.dependency") as String? ?: "sources") == "aar"

android {
    namespace = "dev.hcewallet.sample"
    compileSdk = 36

    defaultConfig {
        applicationId = "dev.hcewallet.sample"
        minSdk = 26
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
        // The three ABIs `make android` builds (cargo-ndk, 16 KB pages).
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            // A sample: sign release with the debug key so `installRelease` works too.
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets["main"].apply {
        java.srcDir("src/main/kotlin")
        if (!useAar) {
            // `make android`: build/android/jniLibs/<abi>/libhce_wallet_ffi.so and the
            // Android flavour of the generated bindings in bindings/kotlin/generated.
            jniLibs.srcDir(File(repoRoot, "build/android/jniLibs"))
            java.srcDir(File(repoRoot, "bindings/kotlin/generated"))
            java.srcDir(File(repoRoot, "bindings/kotlin/src")) // HceBridge, the JNI fast path
        }
    }

    packaging {
        // Uncompressed, page-aligned .so files (loaded in place; required for 16 KB pages).
        jniLibs { useLegacyPackaging = false }
    }

    lint { abortOnError = false }
}

kotlin {
    compilerOptions { jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17) }
}

dependencies {
    if (useAar) {
        // What a wallet team writes: the archive names JNA's @aar in its POM.
        implementation("dev.hcewallet:hce-wallet:0.1.0")
    } else {
        // UniFFI's generated Kotlin calls the .so through JNA; the @aar carries JNA's own
        // libjnidispatch.so for every ABI (the plain jar would not load on Android).
        implementation("net.java.dev.jna:jna:5.18.1@aar")
        // The Android flavour of the generated bindings (uniffi.toml android = true) imports
        // androidx.annotation.RequiresApi: an annotation only (CLASS retention), needed to
        // compile, nothing of AndroidX at run time. The AAR ships already-compiled classes.
        compileOnly("androidx.annotation:annotation:1.9.1")
    }
    // Barcodes (QR, PDF417, Aztec, Code 128, ...), as Google Wallet and Catima render them.
    implementation("com.google.zxing:core:3.5.3")
}
