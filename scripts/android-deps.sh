#!/usr/bin/env bash
# Fetches (once, into ~/.m2 with mvn) the Maven Central jars the Android sample's desktop
# checks compile against, and prints their paths as shell assignments:
#   android_all     org.robolectric:android-all for Android 16 / API 36 (compileSdk): real
#                   AOSP framework classes, no stubs; kotlinc checks the app against it.
#                   Java 21 class files: kotlinc reads them, a JDK 17 cannot load them;
#   android_all_jvm android-all for Android 15 / API 35, Java 17 class files: the JVM tests
#                   compile and run against it (HostApduService & co. on the classpath)
#   zxing        com.google.zxing:core (barcodes; the app's only library besides JNA)
# Usage: eval "$(bash scripts/android-deps.sh)"
set -euo pipefail
ANDROID_ALL_VERSION=16-robolectric-13921718
ANDROID_ALL_JVM_VERSION=15-robolectric-12650502
ZXING_VERSION=3.5.3
repo=${MAVEN_REPO:-$HOME/.m2/repository}
fetch() { # group artifact version
  local jar="$repo/${1//.//}/$2/$3/$2-$3.jar"
  if [ ! -s "$jar" ]; then
    if ! command -v mvn >/dev/null; then
      echo "android-deps: apt-get install maven" >&2
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
      { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq maven; } >&2
    fi
    echo "android-deps: mvn dependency:get $1:$2:$3" >&2
    mvn -q -B dependency:get -Dtransitive=false -Dartifact="$1:$2:$3" >&2
  fi
  [ -s "$jar" ] || { echo "android-deps: $jar missing after fetch" >&2; exit 1; }
  echo "$jar"
}
echo "android_all=$(fetch org.robolectric android-all "$ANDROID_ALL_VERSION")"
echo "android_all_jvm=$(fetch org.robolectric android-all "$ANDROID_ALL_JVM_VERSION")"
echo "zxing=$(fetch com.google.zxing core "$ZXING_VERSION")"
