// Compile-check stand-in for androidx.annotation.RequiresApi, which the Android flavour of
// the UniFFI bindings (android = true) imports. Only `make android-sample-check` uses it;
// the Gradle build gets the real one (compileOnly androidx.annotation, app/build.gradle.kts).
package androidx.annotation

@Retention(AnnotationRetention.BINARY)
@Target(AnnotationTarget.CLASS, AnnotationTarget.FUNCTION, AnnotationTarget.CONSTRUCTOR, AnnotationTarget.FIELD)
annotation class RequiresApi(val value: Int = 1, val api: Int = 1)
