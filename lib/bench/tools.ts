// The native pieces the harness builds on first use into bench/.build/ (gitignored):
//   rusage               bench/c/rusage.c: runs a driver and reports its CPU time and peak RSS
//   rdkafka_performance  librdkafka's own benchmark (the ceiling), from the example source that
//                        Debian's librdkafka-dev ships, with bench/c/rdkafka_compat.h standing in
//                        for the private headers it includes
//   txn-loop             bench/c/txn-loop.c: the transactional produce loop on librdkafka directly
// And the command-line peers the system provides: kcat, java (with Kafka's jars).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export const EXAMPLES_DIR = '/usr/share/doc/librdkafka-dev/examples';

export interface Tool {
  /** Path of the program, when it can run here. */
  path?: string;
  /** Why not, otherwise. */
  reason?: string;
}

export interface NativeTools {
  rusage: Tool;
  rdkafkaPerformance: Tool;
  txnLoop: Tool;
}

/** Builds what is missing or older than its source; never throws (a failure is a reason). */
export function buildNativeTools(root: string): NativeTools {
  const buildDir = path.join(root, 'bench', '.build');
  fs.mkdirSync(buildDir, { recursive: true });
  return {
    rusage: build(buildDir, 'rusage', path.join(root, 'bench', 'c', 'rusage.c'), () => fs.readFileSync(path.join(root, 'bench', 'c', 'rusage.c'), 'utf8'), []),
    rdkafkaPerformance: buildRdkafkaPerformance(root, buildDir),
    txnLoop: build(buildDir, 'txn-loop', path.join(root, 'bench', 'c', 'txn-loop.c'), () => fs.readFileSync(path.join(root, 'bench', 'c', 'txn-loop.c'), 'utf8'), ['-lrdkafka']),
  };
}

function buildRdkafkaPerformance(root: string, buildDir: string): Tool {
  const plain = path.join(EXAMPLES_DIR, 'rdkafka_performance.c');
  const source = fs.existsSync(plain) ? plain : fs.existsSync(`${plain}.gz`) ? `${plain}.gz` : undefined;
  if (source === undefined) return { reason: `librdkafka's example ${plain}(.gz) is not installed (Debian package librdkafka-dev)` };
  const compat = path.join(root, 'bench', 'c', 'rdkafka_compat.h');
  const text = (): string => {
    const raw = source.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(source)).toString('utf8') : fs.readFileSync(source, 'utf8');
    // Its private includes become the compatibility header; rdkafka.h comes through it.
    return raw
      .replace('#include "../src/rd.h"', '#include "rdkafka_compat.h"')
      .replace(/#include "rdkafka\.h".*$/m, '/* rdkafka.h: included by rdkafka_compat.h */')
      .replace(/#include "rd\.h"/, '')
      .replace(/#include "rdtime\.h"/, '');
  };
  return build(buildDir, 'rdkafka_performance', [source, compat], text, [`-I${path.dirname(compat)}`, '-lrdkafka']);
}

/** gcc -O2 of one C file (its text from `text`) into buildDir/name, unless up to date. */
function build(buildDir: string, name: string, sources: string | string[], text: () => string, flags: string[]): Tool {
  const output = path.join(buildDir, name);
  const newest = Math.max(...[sources].flat().map((file) => fs.statSync(file).mtimeMs));
  if (fs.existsSync(output) && fs.statSync(output).mtimeMs >= newest) return { path: output };
  const cFile = path.join(buildDir, `${name}.c`);
  try {
    fs.writeFileSync(cFile, text());
    const libs = flags.filter((flag) => flag.startsWith('-l'));
    const other = flags.filter((flag) => !flag.startsWith('-l'));
    execFileSync('gcc', ['-O2', '-Wall', ...other, '-o', output, cFile, ...libs], { stdio: 'pipe' });
    return { path: output };
  } catch (error) {
    const err = error as { stderr?: Buffer; message: string };
    const detail = err.stderr?.toString().trim().split('\n').slice(0, 5).join(' | ') || err.message;
    return { reason: `could not build ${name} with gcc: ${detail}` };
  }
}

/** The first line a command prints (or the first matching `pattern`), or undefined if it does not run. */
export function commandVersion(command: string, args: string[], pattern?: RegExp): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (result.error || result.status === null) return undefined;
  const lines = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n');
  return (pattern ? lines.find((line) => pattern.test(line)) : lines[0]) || undefined;
}
