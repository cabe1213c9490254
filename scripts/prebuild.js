// `npm pack`'s prepack step: makes the prebuilt binary that the package ships,
// prebuilds/<platform>-<arch>/rdkafka-napi.<libc>.node, with prebuildify (one Node-API binary for
// every Node version). node-gyp builds it against the node-api-headers package, so no Node
// headers are needed or downloaded. The build runs in a temporary copy of the sources: the
// checkout's own build/ (what its tests and a running proxy load) stays as it is.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const prebuildify = require('prebuildify');

const root = path.join(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-prebuild-'));
for (const entry of ['package.json', 'binding.gyp', 'native', path.join('scripts', 'node-api-nodedir')]) {
  fs.cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
}
fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'dir');
fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });

// node-gyp takes its --nodedir from npm's environment, where it would override a flag.
process.env.npm_config_nodedir = path.join(work, 'scripts', 'node-api-nodedir');
// cache: node-gyp's --devdir, unused with a --nodedir but created; inside the copy, removed with it.
prebuildify({ cwd: work, out: root, cache: path.join(work, 'node-gyp'), napi: true, strip: true, tagLibc: true, targets: [process.versions.node] }, (error) => {
  fs.rmSync(work, { recursive: true, force: true });
  if (error) {
    console.error(`prebuild: ${error.message}`);
    process.exit(1);
  }
  const made = path.join('prebuilds', `${process.platform}-${process.arch}`);
  console.error(`prebuild: ${path.join(made, fs.readdirSync(path.join(root, made)).join(', '))}`);
});
