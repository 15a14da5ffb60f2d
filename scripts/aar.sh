#!/usr/bin/env bash
# `make aar` / `make publish-local`: the library as an Android archive, built without the
# Android Gradle Plugin (an AAR is a zip):
#   classes.jar          the generated UniFFI Kotlin (Android flavour) + HceBridge (the JNI
#                        fast path), compiled with kotlinc against android-all (API 36)
#   jni/<abi>/libhce_wallet_ffi.so   arm64-v8a, armeabi-v7a, x86_64 from `make android`
#   AndroidManifest.xml  package dev.hcewallet, minSdk 26
#   R.txt                empty (no resources)
#   proguard.txt         consumer keep rules for JNA and the bindings (they reach the app's R8)
# and a POM naming JNA's @aar and the Kotlin stdlib.
#   scripts/aar.sh [--standin] [--publish] [--out DIR] [--repo DIR]
#   --standin  the desktop libhce_wallet_ffi.so (test-hooks build) in all three ABI folders
#              and bindings generated from it: for testing the packaging on a machine
#              without the NDK. Such an archive does not run on a phone.
#   --publish  also install into a Maven repository laid out as Maven does
#              (--repo, default $MAVEN_REPO or ~/.m2/repository = Gradle's mavenLocal()).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
GROUP=dev.hcewallet ARTIFACT=hce-wallet
VERSION=$(grep -m1 '^version = "' Cargo.toml | sed 's/.*"\(.*\)".*/\1/' || true)
VERSION=${AAR_VERSION:-${VERSION:-0.1.0}}
JNA_VERSION=5.18.1
KOTLIN_VERSION=2.4.20
ABIS=(arm64-v8a armeabi-v7a x86_64)
standin=${AAR_DESKTOP_STANDIN:-}; publish=; out=build/aar; repo=${MAVEN_REPO:-$HOME/.m2/repository}
while (($#)); do
  case "$1" in
    --standin) standin=1 ;;
    --publish) publish=1 ;;
    --out) out=$2; shift ;;
    --repo) repo=$2; shift ;;
    *) echo "usage: $0 [--standin] [--publish] [--out DIR] [--repo DIR]" >&2; exit 2 ;;
  esac
  shift
done
kotlinc=.tools/kotlinc/bin/kotlinc
[ -x "$kotlinc" ] || bash scripts/install-deps.sh
eval "$(bash scripts/android-deps.sh)"
work=$out/work
rm -rf "$work"; mkdir -p "$work/stage/jni" "$work/classes" "$work/stubs"

if [ -n "$standin" ]; then
  echo "== aar: desktop .so standing in for the three ABIs (packaging test only)"
  cargo build -q -p hce-wallet-ffi --lib --features test-hooks
  so=target/debug/libhce_wallet_ffi.so
  # Debug info stripped from the copies (the archive would be ~65 MB); generation below
  # reads UniFFI's metadata from the unstripped original.
  for abi in "${ABIS[@]}"; do
    mkdir -p "$work/stage/jni/$abi"
    objcopy --strip-debug "$so" "$work/stage/jni/$abi/libhce_wallet_ffi.so"
  done
  printf '[crates.hce_wallet_ffi.bindings.kotlin]\nandroid = true\n' > "$work/uniffi-android.toml"
  cargo run -q -p uniffi-bindgen -- generate --library "$so" --language kotlin --no-format \
    --config "$work/uniffi-android.toml" --out-dir "$work/generated"
  gen=$work/generated
else
  jnilibs=${JNILIBS_DIR:-build/android/jniLibs}
  gen=bindings/kotlin/generated
  for abi in "${ABIS[@]}"; do
    [ -f "$jnilibs/$abi/libhce_wallet_ffi.so" ] || { echo "aar: $jnilibs/$abi/libhce_wallet_ffi.so missing: run make android (NDK) first, or pass --standin" >&2; exit 2; }
    mkdir -p "$work/stage/jni/$abi"; cp "$jnilibs/$abi/libhce_wallet_ffi.so" "$work/stage/jni/$abi/"
  done
  grep -qs 'android.system.SystemCleaner' "$gen"/dev/hcewallet/*.kt \
    || { echo "aar: $gen has no Android-flavour bindings: run make android" >&2; exit 2; }
fi

echo "== aar: kotlinc classes.jar against android-all"
# androidx.annotation.RequiresApi (imported by the Android flavour) is CLASS-retention:
# needed to compile, not shipped (apps have the real one or none).
"$kotlinc" -nowarn -jvm-target 17 -d "$work/stubs" android-sample/check-stubs/androidx/annotation/RequiresApi.kt
mapfile -t sources < <(find "$gen" bindings/kotlin/src -name '*.kt' | sort)
"$kotlinc" -nowarn -jvm-target 17 -cp "$android_all:/usr/share/java/jna.jar:$work/stubs" -d "$work/classes" "${sources[@]}" 2>&1 | grep -v '^warning:' || true
[ -f "$work/classes/dev/hcewallet/HceBridge.class" ] || { echo "aar: compilation failed" >&2; exit 1; }

cat > "$work/stage/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="dev.hcewallet">
    <uses-sdk android:minSdkVersion="26" />
</manifest>
XML
: > "$work/stage/R.txt"
cp android-sample/app/proguard-rules.pro "$work/stage/proguard.txt"
pom=$out/$ARTIFACT-$VERSION.pom
aar=$out/$ARTIFACT-$VERSION.aar
cat > "$pom" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>$GROUP</groupId>
  <artifactId>$ARTIFACT</artifactId>
  <version>$VERSION</version>
  <packaging>aar</packaging>
  <name>hce-wallet</name>
  <description>Rust core for Android HCE wallets: UniFFI Kotlin bindings and the JNI fast path</description>
  <dependencies>
    <dependency>
      <groupId>net.java.dev.jna</groupId>
      <artifactId>jna</artifactId>
      <version>$JNA_VERSION</version>
      <type>aar</type>
      <scope>compile</scope>
    </dependency>
    <dependency>
      <groupId>org.jetbrains.kotlin</groupId>
      <artifactId>kotlin-stdlib</artifactId>
      <version>$KOTLIN_VERSION</version>
      <scope>compile</scope>
    </dependency>
  </dependencies>
</project>
XML
python3 - "$work" "$aar" <<'PY'
import os, sys, zipfile
work, aar = sys.argv[1], sys.argv[2]
def add(z, path, name):
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    # .so files stored uncompressed (page-aligned loading from the APK is the app's packaging)
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".so") else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with open(path, "rb") as f:
        z.writestr(info, f.read())
jar = os.path.join(work, "classes.jar")
with zipfile.ZipFile(jar, "w") as z:
    base = os.path.join(work, "classes")
    for d, _, files in sorted(os.walk(base)):
        for f in sorted(files):
            p = os.path.join(d, f)
            add(z, p, os.path.relpath(p, base))
with zipfile.ZipFile(aar, "w") as z:
    add(z, os.path.join(work, "stage", "AndroidManifest.xml"), "AndroidManifest.xml")
    add(z, jar, "classes.jar")
    add(z, os.path.join(work, "stage", "R.txt"), "R.txt")
    add(z, os.path.join(work, "stage", "proguard.txt"), "proguard.txt")
    jni = os.path.join(work, "stage", "jni")
    for abi in sorted(os.listdir(jni)):
        add(z, os.path.join(jni, abi, "libhce_wallet_ffi.so"), f"jni/{abi}/libhce_wallet_ffi.so")
PY
echo "== aar: $aar ($(du -h "$aar" | cut -f1)) + $(basename "$pom")"
if [ -n "$publish" ]; then
  dest=$repo/${GROUP//.//}/$ARTIFACT/$VERSION
  mkdir -p "$dest"
  cp "$aar" "$pom" "$dest/"
  for f in "$dest/$ARTIFACT-$VERSION.aar" "$dest/$ARTIFACT-$VERSION.pom"; do sha1sum "$f" | cut -d' ' -f1 > "$f.sha1"; done
  echo "== publish-local: $GROUP:$ARTIFACT:$VERSION → $dest"
fi
