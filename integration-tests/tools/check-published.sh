#!/usr/bin/env bash
# Checks what `mvn deploy -DaltDeploymentRepository=weft-repo::file:<root>/target/weft-repo` published:
#   - every module of java-sdk/ (the BOM and modules with maven.deploy.skip aside) is listed in the BOM, and its jar, -sources and
#     -javadoc jars are in the repository, the jar with an Automatic-Module-Name;
#   - weft-java-sdk's jar carries libweft.so.0 for linux-x86_64 and linux-aarch64 (checked with
#     `file`), and each classifier jar carries its platform only;
#   - the C SDK release archives weft-c-sdk-<version>-linux-<arch>.tar.gz for both arches.
# Fails loudly, naming what is missing.
#   check-published.sh [REPO_DIR]     (default: target/weft-repo of the repository root)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
repo=${1:-$root/target/weft-repo}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

[ -d "$repo/dev/weft" ] || { echo "FAIL: no dev/weft in $repo: run mvn deploy first"; exit 1; }
version=$(awk '/^  <artifactId>weft-bom<\/artifactId>/ {p=1; next} p && /^  <version>/ {gsub(/.*<version>|<\/version>.*/, ""); print; exit}' "$root/java-sdk/bom/pom.xml")
bom=$(ls "$repo/dev/weft/weft-bom/$version/"*.pom 2>/dev/null | sort | tail -1 || true)
[ -n "$bom" ] || fail "weft-bom $version is not in $repo"

# The newest file of an artifact in the repository (SNAPSHOTs are timestamped).
artifact() { # artifactId suffix (e.g. ".jar", "-sources.jar", "-linux-x86_64.tar.gz")
  ls "$repo/dev/weft/$1/$version/" 2>/dev/null | grep -E "^$1-[0-9.]+(-SNAPSHOT|-[0-9]{8}\.[0-9]{6}-[0-9]+)?$2\$" \
    | sort | tail -1 | sed "s:^:$repo/dev/weft/$1/$version/:" || true
}

# The artifactId of a module: the first <artifactId> after </parent>.
module_artifact() { awk '/<\/parent>/ {p=1; next} p && /<artifactId>/ {gsub(/.*<artifactId>|<\/artifactId>.*/, ""); print; exit}' "$1"; }

for pom in "$root"/java-sdk/*/pom.xml; do
  grep -q '<packaging>pom</packaging>' "$pom" && continue
  id=$(module_artifact "$pom")
  # A module that opts out of deployment (the benchmarks) is not an artifact users get.
  if grep -q '<maven.deploy.skip>true</maven.deploy.skip>' "$pom"; then
    ok "$id: not published (maven.deploy.skip), as intended"
    [ -z "$(artifact "$id" .jar)" ] || fail "$id sets maven.deploy.skip but was published"
    continue
  fi
  if [ -n "$bom" ] && ! grep -q "<artifactId>$id</artifactId>" "$bom"; then fail "$id is not in weft-bom"; fi
  for suffix in .jar -sources.jar -javadoc.jar; do
    [ -n "$(artifact "$id" "$suffix")" ] || fail "$id$suffix was not published"
  done
  jar=$(artifact "$id" .jar)
  if [ -n "$jar" ]; then
    name=$(unzip -p "$jar" META-INF/MANIFEST.MF | tr -d '\r' | sed -n 's/^Automatic-Module-Name: //p')
    if [ -n "$name" ]; then ok "$id: jar, sources, javadoc; Automatic-Module-Name $name"; else fail "$id.jar has no Automatic-Module-Name"; fi
  fi
done

# libweft.so.0 per platform in weft-java-sdk: both in the main jar, one in each classifier jar.
native_check() { # jar platform expected-file-output [absent-platform]
  local jar=$1 platform=$2 expect=$3 absent=${4:-} tmp
  tmp=$(mktemp -d)
  if unzip -q -o "$jar" "META-INF/native/$platform/libweft.so.0" -d "$tmp" 2>/dev/null; then
    local what
    what=$(file -b "$tmp/META-INF/native/$platform/libweft.so.0")
    if [[ "$what" == *"$expect"* ]]; then ok "$(basename "$jar"): $platform/libweft.so.0: $what"
    else fail "$(basename "$jar"): $platform/libweft.so.0 is not $expect: $what"; fi
    local glibc
    glibc=$(objdump -T "$tmp/META-INF/native/$platform/libweft.so.0" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)
    [ -z "$glibc" ] || echo "    needs at most $glibc"
  else
    fail "$(basename "$jar") has no META-INF/native/$platform/libweft.so.0"
  fi
  if [ -n "$absent" ] && grep -q "META-INF/native/$absent/" <<<"$(unzip -l "$jar")"; then
    fail "$(basename "$jar") also carries $absent"
  fi
  rm -rf "$tmp"
}
sdk=$(artifact weft-java-sdk .jar)
if [ -n "$sdk" ]; then
  native_check "$sdk" linux-x86_64 "x86-64"
  native_check "$sdk" linux-aarch64 "ARM aarch64"
  for platform in linux-x86_64 linux-aarch64; do
    jar=$(artifact weft-java-sdk "-$platform.jar")
    if [ -z "$jar" ]; then fail "weft-java-sdk-$platform.jar was not published"; continue; fi
    other=linux-aarch64; [ "$platform" = linux-aarch64 ] && other=linux-x86_64
    expect="x86-64"; [ "$platform" = linux-aarch64 ] && expect="ARM aarch64"
    native_check "$jar" "$platform" "$expect" "$other"
  done
fi

# The C SDK release archives, one per architecture, with headers, libweft.so*, weft.pc, CMake package.
for platform in linux-x86_64 linux-aarch64; do
  archive=$(artifact weft-c-sdk "-$platform.tar.gz")
  if [ -z "$archive" ]; then fail "weft-c-sdk-$platform.tar.gz was not published"; continue; fi
  if [ -n "$bom" ] && ! grep -q "<classifier>$platform</classifier>" "$bom"; then fail "weft-bom lacks $platform"; fi
  listing=$(tar tzf "$archive")
  missing=""
  for entry in include/weft/weft.h include/weft/weft.hpp lib/libweft.so.0 lib/libweft.so lib/pkgconfig/weft.pc lib/cmake/weft/weftConfig.cmake; do
    grep -qE "^[^/]+/$entry\$" <<<"$listing" || missing="$missing $entry"
  done
  if [ -n "$missing" ]; then fail "$(basename "$archive") lacks$missing"; else ok "$(basename "$archive"): headers, libweft.so*, weft.pc, CMake package"; fi
done

if [ "$failures" -gt 0 ]; then
  echo "check-published: $failures failure(s) in $repo"
  exit 1
fi
echo "check-published: all published artifacts present in $repo"
