#!/usr/bin/env bash
# `make test-kotlin`: the Kotlin API on the desktop JVM.
#  1. kotlinc from .tools (scripts/install-deps.sh puts it there), JNA + JUnit 4 jars
#     from /usr/share/java (Debian libjna-java, junit4);
#  2. builds the host libhce_wallet_ffi.so with the test hooks;
#  3. generates the bindings with the workspace's pinned uniffi-bindgen (library mode);
#  4. compiles generated + hand-written Kotlin (bindings/kotlin) + tests (bindings/kotlin-tests);
#  5. runs the JUnit classes with java -Djna.library.path=… and prints `N passed, M failed`.
# `scripts/test-kotlin.sh --bench` instead builds the release library and runs the per-call
# overhead bench (JNI fast path vs UniFFI/JNA vs empty functions).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mode=test; [ "${1:-}" = "--bench" ] && mode=bench

kotlinc=.tools/kotlinc/bin/kotlinc
[ -x "$kotlinc" ] || bash scripts/install-deps.sh
jars=()
for j in jna junit4 hamcrest-core; do
  [ -f "/usr/share/java/$j.jar" ] || { echo "test-kotlin: /usr/share/java/$j.jar missing (apt-get install libjna-java junit4)" >&2; exit 1; }
  jars+=("/usr/share/java/$j.jar")
done
cp_libs=$(IFS=:; echo "${jars[*]}")
shared=${HCE_SHARED_DIR:-$root/../shared}
[ -d "$shared/vectors/smart-tap" ] || { echo "test-kotlin: no vectors under $shared (set HCE_SHARED_DIR)" >&2; exit 1; }

profile=debug; flags=()
[ "$mode" = bench ] && { profile=release; flags=(--release); }
echo "== cargo build -p hce-wallet-ffi --features test-hooks ($profile)"
cargo build -q -p hce-wallet-ffi --lib --features test-hooks "${flags[@]}"
lib_dir=$root/target/$profile
# The release profile strips symbols, UniFFI's metadata with them: generate from the debug
# build of the same source and features (same API, same checksums), load the release one.
if [ "$profile" = release ]; then cargo build -q -p hce-wallet-ffi --lib --features test-hooks; fi
meta_lib=$root/target/debug/libhce_wallet_ffi.so

out=build/kotlin-$mode
rm -rf "$out"; mkdir -p "$out/classes"
echo "== uniffi-bindgen generate (library mode)"
cargo run -q -p uniffi-bindgen -- generate --library "$meta_lib" \
  --language kotlin --no-format --out-dir "$out/generated"

echo "== kotlinc"
mapfile -t sources < <(find "$out/generated" bindings/kotlin/src bindings/kotlin-tests/src -name '*.kt' | sort)
"$kotlinc" -nowarn -jvm-target 17 -cp "$cp_libs" -d "$out/classes" "${sources[@]}" 2>&1 \
  | grep -v '^warning:' || true
[ -f "$out/classes/dev/hcewallet/tests/TestMainKt.class" ] || { echo "test-kotlin: compilation failed" >&2; exit 1; }

run_cp="$out/classes:.tools/kotlinc/lib/kotlin-stdlib.jar:$cp_libs"
java_flags=(-Djna.library.path="$lib_dir" -Djava.library.path="$lib_dir" -Dhce.shared.dir="$shared" -Dhce.fixtures.dir="$root/bindings/kotlin-tests/fixtures")
if [ "$mode" = bench ]; then
  exec java "${java_flags[@]}" -cp "$run_cp" dev.hcewallet.tests.BenchKt
fi
classes=$(cd "$out/classes" && find dev/hcewallet/tests -name '*Test.class' | sed 's/\.class$//; s#/#.#g' | sort)
echo "== java org.junit (${classes//$'\n'/ })"
java "${java_flags[@]}" -cp "$run_cp" dev.hcewallet.tests.TestMainKt $classes
