// The hce-wallet sample app. Open this folder (android-sample/) in Android Studio, or run
// ./gradlew assembleDebug here; the README says which versions it was written for.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        // `make publish-local` installs dev.hcewallet:hce-wallet here (-Phce.dependency=aar).
        mavenLocal()
    }
}

rootProject.name = "hce-wallet-sample"
include(":app")
