// Writes the ES-module entries (dist/index.mjs, dist/kafkajs/index.mjs): each re-exports its
// CommonJS build by name so that `import { Producer } from 'rdkafka-napi'` and
// `require('rdkafka-napi')` share one instance.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
for (const entry of ['index', 'kafkajs/index']) {
  const names = Object.keys(createRequire(import.meta.url)(`../dist/${entry}.js`)).filter((n) => n !== 'default' && n !== '__esModule');
  const body = [
    "import { createRequire } from 'node:module';",
    "const cjs = createRequire(import.meta.url)('./index.js');",
    ...names.map((n) => `export const ${n} = cjs.${n};`),
    'export default cjs;',
    '',
  ].join('\n');
  writeFileSync(`${dist}${entry}.mjs`, body);
}
