#!/usr/bin/env bash
# Brings a fresh or a warm machine to a built project: Debian packages (librdkafka-dev, and
# libuv1-dev, cmake and a compiler for the addon's build; kcat, Java and Maven for the real broker),
# npm packages, the native addon and the TypeScript build. Each step runs only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
pkg-config --exists rdkafka 2>/dev/null || missing+=(librdkafka-dev)
pkg-config --exists libuv 2>/dev/null || missing+=(libuv1-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v kcat >/dev/null || missing+=(kcat)
# The test suite runs a real Kafka broker from Maven Central jars.
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
# The v3 conformance test's schemathesis runs in a venv (Debian splits venv from python3).
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
# The REST proxy's load-balancing test runs three proxies behind HAProxy.
command -v haproxy >/dev/null || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages, at the lock file's versions (the package's install script also builds the addon
# when none is there yet). Not `npm ci`: npm 11 leaves other platforms' optional packages out of the lock
# file it writes and then `npm ci` refuses it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm install --no-audit --no-fund
fi

addon=build/Release/rdkafka_napi.node
if [ ! -f "$addon" ] || [ -n "$(find native CMakeLists.txt -newer "$addon" -print -quit)" ]; then
  echo "setup: building the native addon"
  npm run --silent build:addon >/dev/null
fi

# The real broker's jars (cached under ~/.cache after the first run).
node scripts/kafka/broker.mjs fetch >/dev/null
# The real Schema Registry (Apicurio, from Maven Central) the schema tests also run against.
node scripts/registry/registry.mjs fetch >/dev/null

# schemathesis (PyPI) for test/proxy-v3-conformance.test.ts, pinned, in a venv under the repo.
# hypothesis is pinned too: its releases after 6.13x broke schemathesis 3.39.16's generators
# ('many' object has no attribute 'more'). A failed install only skips that test, which says so.
st_venv=.venv-schemathesis
st_pins=("schemathesis==3.39.16" "hypothesis==6.112.0")
if [ ! -f "$st_venv/.installed" ] || [ "$(cat "$st_venv/.installed")" != "${st_pins[*]}" ]; then
  echo "setup: installing ${st_pins[*]} into $st_venv"
  if python3 -m venv "$st_venv" >/dev/null 2>&1 && "$st_venv/bin/pip" install -q "${st_pins[@]}" >/dev/null 2>&1; then
    echo "${st_pins[*]}" > "$st_venv/.installed"
  else
    echo "setup: could not install schemathesis (python3 -m venv, then pip from PyPI): the v3 conformance test will be skipped" >&2
  fi
fi

if [ ! -f dist/index.mjs ] || [ -n "$(find lib tsconfig.json -newer dist/index.mjs -print -quit)" ]; then
  echo "setup: compiling TypeScript"
  npm run --silent build:ts
fi
