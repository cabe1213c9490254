#!/usr/bin/env bash
# Builds a newer librdkafka than the system's into a private prefix, once (cached), and prints the
# prefix on its last line. The source comes from the npm registry only: the package
# @confluentinc/kafka-javascript carries librdkafka's source tree under deps/librdkafka.
#   scripts/build-librdkafka.sh            # the pinned version below
#   KAFKA_JAVASCRIPT_VERSION=1.10.1 scripts/build-librdkafka.sh
# The prefix is ~/.cache/rdkafka-napi/librdkafka-<librdkafka version> (RDKAFKA_NAPI_CACHE moves
# ~/.cache/rdkafka-napi); it has lib/pkgconfig/rdkafka.pc for PKG_CONFIG_PATH.
set -euo pipefail

# Pinned so every run tests the same library: 1.10.1 carries librdkafka 2.15.1.
package_version=${KAFKA_JAVASCRIPT_VERSION:-1.10.1}
cache=${RDKAFKA_NAPI_CACHE:-$HOME/.cache/rdkafka-napi}
tarball=$cache/src/confluentinc-kafka-javascript-$package_version.tgz
mkdir -p "$cache/src"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -f "$tarball" ]; then
  echo "build-librdkafka: fetching @confluentinc/kafka-javascript@$package_version from the npm registry" >&2
  (cd "$cache/src" && npm pack --silent "@confluentinc/kafka-javascript@$package_version" >/dev/null)
fi

# The librdkafka version, read from the tarball's rdkafka.h (e.g. #define RD_KAFKA_VERSION 0x020f01ff).
hex=$(tar -xzOf "$tarball" package/deps/librdkafka/src/rdkafka.h | awk '$1 == "#define" && $2 == "RD_KAFKA_VERSION" { print $3 }')
[ -n "$hex" ] || { echo "build-librdkafka: no librdkafka source in $tarball" >&2; exit 1; }
version=$(( (hex >> 24) & 0xff )).$(( (hex >> 16) & 0xff )).$(( (hex >> 8) & 0xff ))
prefix=$cache/librdkafka-$version

if [ -f "$prefix/lib/pkgconfig/rdkafka.pc" ]; then
  echo "$prefix"
  exit 0
fi

# The same optional features as Debian's librdkafka-dev (SSL, SASL, zstd, lz4, zlib, curl for OIDC).
missing=()
for pkg in gcc g++ make pkg-config python3 libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-librdkafka: installing Debian packages: ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d "$cache/build-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work" package/deps/librdkafka
cd "$work/package/deps/librdkafka"
echo "build-librdkafka: building librdkafka $version into $prefix" >&2
# --no-download: mklove must not fetch its modules or any dependency; the Debian packages serve.
./configure --prefix="$prefix" --no-download --enable-ssl --enable-gssapi --enable-zstd \
  --enable-lz4-ext --enable-zlib --enable-curl >"$work/configure.log" 2>&1 \
  || { tail -40 "$work/configure.log" >&2; exit 1; }
make -j"$(nproc)" libs >"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
# Installed into a staging prefix first, so an interrupted build never looks cached.
make install-subdirs DESTDIR="$work/stage" >"$work/install.log" 2>&1 || { tail -40 "$work/install.log" >&2; exit 1; }
mkdir -p "$(dirname "$prefix")"
mv "$work/stage$prefix" "$prefix"
echo "$prefix"
