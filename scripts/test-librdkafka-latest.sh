#!/usr/bin/env bash
# `npm run test:librdkafka-latest [-- vitest arguments]`: the whole suite (or the named test files)
# against the newest librdkafka, on both brokers. Builds that librdkafka into its private prefix
# once (scripts/build-librdkafka.sh), the addon against it in build-librdkafka-latest/ (build/ stays
# on the system's librdkafka), then runs vitest with RDKAFKA_NAPI_ADDON naming that addon and
# LD_LIBRARY_PATH the prefix, so every test process and every child process loads both.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
prefix=$(bash scripts/build-librdkafka.sh | tail -n 1)

out=build-librdkafka-latest
addon=$PWD/$out/Release/rdkafka_napi.node
stamp=$out/librdkafka-prefix
if [ ! -f "$addon" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$prefix" ] \
  || [ -n "$(find native CMakeLists.txt -newer "$addon" -print -quit)" ]; then
  echo "test:librdkafka-latest: building the addon against $prefix in $out/" >&2
  PKG_CONFIG_PATH=$prefix/lib/pkgconfig npx cmake-js rebuild --out "$out" >/dev/null
  echo "$prefix" >"$stamp"
fi

# test/kip848.test.ts runs the KIP-848 consumer group protocol on a Kafka 4.x node of its own.
node scripts/kafka/broker.mjs fetch --version latest

export RDKAFKA_NAPI_ADDON=$addon
export LD_LIBRARY_PATH=$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
node -e 'const v = require("./dist").librdkafkaVersion(); console.error(`test:librdkafka-latest: librdkafka ${v.text} (${v.features.join(",")})`)'
exec npx vitest run "$@"
