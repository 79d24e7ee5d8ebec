#!/usr/bin/env bash
# Checks what `mvn deploy -DaltDeploymentRepository=local::file:<root>/target/weft-repo` published:
#   - every module of java-sdk/ (the BOM aside) is listed in the BOM, and its jar, -sources and
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

if [ "$failures" -gt 0 ]; then
  echo "check-published: $failures failure(s) in $repo"
  exit 1
fi
echo "check-published: all published artifacts present in $repo"
