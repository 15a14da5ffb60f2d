#!/usr/bin/env bash
# `make android-sample-check`: what can be checked of android-sample/ without an Android SDK.
#  1. jars: android-all (API 36 framework classes) and ZXing core from Maven Central via
#     scripts/android-deps.sh; JNA + JUnit 4 from /usr/share/java; kotlinc from .tools;
#  2. the host libhce_wallet_ffi.so (test-hooks, the build scripts/test-kotlin.sh uses) and
#     the bindings generated from it in both flavours: Android (android = true, what the app
#     ships) and desktop (java.lang.ref.Cleaner, what the JVM tests load);
#  3. compile check: every Kotlin source of the app + the Android-flavour bindings +
#     HceBridge against android-all + JNA + ZXing; logic/ must import no android.*;
#  4. the JVM tests: app sources (desktop bindings) + android-sample/app/src/test +
#     (against android-all API 35, the newest whose class files a JDK 17 loads) +
#     the Smart Tap terminal of bindings/kotlin-tests (on the classpath, not copied), run on
#     the desktop .so with a private HTTPS nginx on loopback (scripts/android-sample-nginx.sh);
#  5. ManifestCheck on the real manifest/apduservice.xml (must pass) and on deliberately
#     broken copies (a Smart Tap AID, PPSE, the token AID, the payment category: each must fail);
#  6. `scripts/aar.sh --standin --publish` into build/android-sample (AarTest checks the
#     archive, the POM, the repository layout, and loads the classes in a separate JVM).
# Prints `N passed, M failed`. SKIP_ANDROID_COMPILE=1 skips step 3 (quicker iterations).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
app=android-sample/app/src
out=build/android-sample
kotlinc=.tools/kotlinc/bin/kotlinc
[ -x "$kotlinc" ] || bash scripts/install-deps.sh
for j in jna junit4 hamcrest-core; do
  [ -f "/usr/share/java/$j.jar" ] || { echo "android-sample-check: /usr/share/java/$j.jar missing (apt-get install libjna-java junit4)" >&2; exit 1; }
done
eval "$(bash scripts/android-deps.sh)"
jna=/usr/share/java/jna.jar
junit=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar
shared=${HCE_SHARED_DIR:-$root/../shared}
[ -d "$shared/vectors/smart-tap" ] || { echo "android-sample-check: no vectors under $shared (set HCE_SHARED_DIR)" >&2; exit 1; }

echo "== cargo build -p hce-wallet-ffi --features test-hooks (debug)"
cargo build -q -p hce-wallet-ffi --lib --features test-hooks
lib=$root/target/debug/libhce_wallet_ffi.so
rm -rf "$out"; mkdir -p "$out"
echo "== uniffi-bindgen generate: Android and desktop flavours"
printf '[crates.hce_wallet_ffi.bindings.kotlin]\nandroid = true\n' > "$out/uniffi-android.toml"
cargo run -q -p uniffi-bindgen -- generate --library "$lib" --language kotlin --no-format \
  --config "$out/uniffi-android.toml" --out-dir "$out/gen-android"
grep -q 'android.system.SystemCleaner' "$out/gen-android/dev/hcewallet/hce_wallet_ffi.kt" \
  || { echo "android-sample-check: the Android flavour was not generated" >&2; exit 1; }
cargo run -q -p uniffi-bindgen -- generate --library "$lib" --language kotlin --no-format --out-dir "$out/gen-desktop"

echo "== logic/ is framework-free (the JVM-testable part)"
if grep -rn '^import android\.' "$app/main/kotlin/dev/hcewallet/sample/logic"; then
  echo "android-sample-check: logic/ imports android.* (move it behind an interface)" >&2; exit 1
fi

kc() { # out-dir classpath sources...
  local d=$1 cp=$2; shift 2
  mkdir -p "$d"
  if ! "$kotlinc" -nowarn -jvm-target 17 -cp "$cp" -d "$d" "$@" > "$d.log" 2>&1; then
    grep -v '^warning:' "$d.log" >&2; return 1
  fi
}
mapfile -t app_sources < <(find "$app/main/kotlin" -name '*.kt' | sort)
echo "== kotlinc: ${#app_sources[@]} app sources + Android bindings + HceBridge against android-all (API 36)"
mapfile -t gen_android < <(find "$out/gen-android" bindings/kotlin/src android-sample/check-stubs -name '*.kt' | sort)
[ -n "${SKIP_ANDROID_COMPILE:-}" ] || kc "$out/check-classes" "$android_all:$jna:$zxing" "${app_sources[@]}" "${gen_android[@]}" \
  || { echo "android-sample-check: the app does not compile against android-all" >&2; exit 1; }
[ -n "${SKIP_ANDROID_COMPILE:-}" ] || echo "   compiled $(find "$out/check-classes/dev/hcewallet/sample" -name '*.class' | wc -l) app classes"

echo "== kotlinc: JVM tests (app + desktop bindings + bindings/kotlin-tests terminal + app tests; android-all API 35)"
mapfile -t test_sources < <(find "$out/gen-desktop" bindings/kotlin/src bindings/kotlin-tests/src "$app/test/kotlin" -name '*.kt' | sort)
kc "$out/test-classes" "$android_all_jvm:$jna:$zxing:$junit" "${app_sources[@]}" "${test_sources[@]}" \
  || { echo "android-sample-check: the JVM tests do not compile" >&2; exit 1; }

# android-all last: it also carries org.json, junit.framework and the like.
run_cp="$out/test-classes:.tools/kotlinc/lib/kotlin-stdlib.jar:$jna:$junit:$zxing:$android_all_jvm"
java_flags=(-Djna.library.path="$(dirname "$lib")" -Djava.library.path="$(dirname "$lib")"
  -Dhce.shared.dir="$shared" -Dhce.fixtures.dir="$root/bindings/kotlin-tests/fixtures"
  -Dhce.sample.dir="$root/android-sample")

echo "== ManifestCheck on android-sample/app (must pass) and on broken copies (each must fail)"
java -cp "$run_cp" dev.hcewallet.sample.ManifestCheckKt "$root/android-sample/app"
# A Smart Tap AID, PPSE, the token AID, and the payment category, each broken in turn.
for edit in 's/4F53452E5641532E3031/4F53452E5641532E303/' 's/325041592E5359532E4444463031/325041592E5359532E4444463030/' \
    's/A000000333010102/A0000003330101/' 's/category="payment"/category="paymant"/'; do
  broken=$out/broken-app
  rm -rf "$broken"; mkdir -p "$broken/src/main"
  cp android-sample/app/build.gradle.kts "$broken/"
  cp "$app/main/AndroidManifest.xml" "$broken/src/main/"
  cp -r "$app/main/res" "$broken/src/main/"
  sed -i "$edit" "$broken/src/main/res/xml/apduservice.xml"
  if java -cp "$run_cp" dev.hcewallet.sample.ManifestCheckKt "$broken" > "$out/broken.log" 2>&1; then
    echo "android-sample-check: ManifestCheck accepted a broken apduservice.xml ($edit)" >&2; exit 1
  fi
  echo "   $edit refused: $(head -1 "$out/broken.log" | sed 's/^ManifestCheck: //')"
done

echo "== make aar + publish-local with the desktop .so standing in (AarTest checks them)"
bash scripts/aar.sh --standin --publish --out "$out/aar" --repo "$out/m2"
export HCE_AAR="$(ls "$root/$out"/aar/hce-wallet-*.aar)" HCE_AAR_REPO="$root/$out/m2"
java_flags+=(-Dhce.kotlin.stdlib="$root/.tools/kotlinc/lib/kotlin-stdlib.jar")

echo "== JVM tests (HTTPS nginx on loopback)"
classes=$(cd "$out/test-classes" && find dev/hcewallet/sample -name '*Test.class' | sed 's/\.class$//; s#/#.#g' | sort)
bash scripts/android-sample-nginx.sh "$out/nginx" -- \
  java "${java_flags[@]}" -cp "$run_cp" dev.hcewallet.sample.TestRunnerKt $classes
