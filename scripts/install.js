// npm's install step: keeps the prebuilt binary (prebuilds/) when it loads on this machine, and
// otherwise builds the addon from source with cmake-js, which needs no Node headers download.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

// The package's own loader, with its librdkafka check, once dist/ is built; in a clone before
// the first TypeScript build, node-gyp-build alone.
function loadProblem() {
  try {
    if (fs.existsSync(path.join(root, 'dist', 'native.js'))) require('../dist/native.js');
    else require('node-gyp-build')(root);
    return undefined;
  } catch (error) {
    return error;
  }
}

const librdkafkaProblem = (error) => error.code === 'ERR_LIBRDKAFKA_MISSING' || error.code === 'ERR_LIBRDKAFKA_TOO_OLD';

const first = loadProblem();
if (first === undefined) process.exit(0);
// A build would link the same librdkafka: say what to install instead.
if (librdkafkaProblem(first)) {
  console.error(first.message);
  process.exit(1);
}
console.error(`rdkafka-napi: ${first.message.split('\n')[0]}`);
console.error('rdkafka-napi: building the addon from source with cmake-js');

const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const build = spawnSync(process.execPath, [cmakeJs, 'rebuild'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('rdkafka-napi: building the addon from source failed. It needs cmake (3.15 or newer), a C++17 compiler, ' +
    'pkg-config and the development files of librdkafka (2.0.2 or newer) and libuv: ' +
    'Debian/Ubuntu: apt-get install cmake g++ pkg-config librdkafka-dev libuv1-dev; ' +
    'Fedora/RHEL: dnf install cmake gcc-c++ pkgconf librdkafka-devel libuv-devel; ' +
    'Alpine: apk add cmake g++ make pkgconf librdkafka-dev libuv-dev; ' +
    'macOS: brew install cmake pkg-config librdkafka libuv.');
  process.exit(1);
}
const built = loadProblem();
if (built !== undefined) {
  console.error(built.message);
  process.exit(1);
}
