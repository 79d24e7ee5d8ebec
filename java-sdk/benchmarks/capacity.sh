#!/usr/bin/env bash
# The sustained-capacity benchmark (docs/benchmarks.md, "Sustained capacity").
#   bash java-sdk/benchmarks/capacity.sh [--no-build] [options of CapacityBenchmark, --help]
# Builds c-sdk, weft-java-sdk and this module in the reactor (never into ~/.m2), then runs the
# driver on that class path. Default: 60 s windows, subjects weft, sdk-default, sdk-tuned.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--no-build" ]; then
  shift
else
  mvn -B -q -pl c-sdk,java-sdk/core,java-sdk/benchmarks -am package -DskipTests -Dweft.skipSanitizers=true
fi
cp="java-sdk/benchmarks/target/classes:$(cat java-sdk/benchmarks/target/classpath.txt)"
exec java -cp "$cp" -Dweft.native.build.dir="$PWD/c-sdk/target/cmake" \
  dev.weft.bench.capacity.CapacityBenchmark "$@"
