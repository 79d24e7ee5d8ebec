#!/usr/bin/env bash
# Builds and runs the consumer (an application outside the Weft reactor) from the published
# artifacts alone. Run `mvn -B deploy -DskipTests -DaltDeploymentRepository=weft-repo::file:$PWD/target/weft-repo`
# at the repository root first.
#   integration-tests/consumer/run.sh [REPO_DIR]     (default: <root>/target/weft-repo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
repo=$(cd "${1:-$root/target/weft-repo}" && pwd)
[ -d "$repo/dev/weft/weft-java-sdk" ] || { echo "consumer: no weft-java-sdk in $repo: run mvn deploy first" >&2; exit 1; }
target=$here/target
rm -rf "$target"
mkdir -p "$target"

# Third-party artifacts: a hard-linked copy of ~/.m2/repository without dev/weft (seconds, no
# space), so that nothing of Weft can come from there; what it lacks comes from Maven Central.
mirror=$target/third-party
if [ -d "$HOME/.m2/repository" ]; then
  cp -al "$HOME/.m2/repository" "$mirror" 2>/dev/null || cp -a "$HOME/.m2/repository" "$mirror"
  rm -rf "$mirror/dev/weft"
else
  mkdir -p "$mirror"
fi

cd "$here"
mvn -B -q -s settings.xml -Dmaven.repo.local="$target/m2" \
  -Dweft.repo.url="file://$repo" -Dweft.third.party.url="file://$mirror" verify
# what the consumer resolved of Weft, and from where
for f in "$target"/m2/dev/weft/*/*/_remote.repositories; do
  if grep -qv -e '^#' -e '>weft-local=$' "$f"; then
    echo "consumer: FAILED: dev.weft resolved from elsewhere than weft-local: $f" >&2
    cat "$f" >&2
    exit 1
  fi
done
echo "consumer: dev.weft resolved only from $repo ($(ls "$target/m2/dev/weft" | tr '\n' ' '))"
cat "$target/consumer-trace.jsonl"
