// Every fenced code block of README.md and docs/*.md runs here, so the documentation cannot drift
// from the package. What the test changes in a block before running it, and nothing else:
//   - broker addresses (`localhost:9092`, `kafka1:9092,kafka2:9092`) become the run's broker;
//   - the proxy's addresses (`127.0.0.1:8082`, `127.0.0.1:19092`) become a proxy this test starts;
//   - topic and group names (orders, invoices, greetings, demo, billing, auditors, readers, g1)
//     get a suffix per file and broker, so runs never share a topic or a group;
//   - `rdkafka-napi` in a shell block is this checkout's dist/cli.js (built by `npm test`).
// TypeScript blocks are type-checked against lib/ and then run in this process, one file's blocks
// in order (a consumer example reads what the producer example before it sent). Shell blocks run
// with bash -e. A `text` block is output, never run; a block after `<!-- not run: why -->` is
// skipped and one after `<!-- real broker only: why -->` runs on the real broker only. Relative
// links and their anchors are checked too.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format } from 'node:util';
import * as pinoModule from 'pino';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rdkafka from '../lib';
import * as rdkafkaKafkajs from '../lib/kafkajs';
import { DEFAULTS, startProxy, adminClusterView, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';

const ROOT = path.join(__dirname, '..');
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const NAMES = ['orders', 'invoices', 'greetings', 'demo', 'billing', 'auditors', 'readers', 'g1'];

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** Why the block is never run (an output sample, a long-running command). */
  notRun?: string;
  /** Why the block needs the real broker. */
  realOnly?: string;
}

/** The fenced blocks of a Markdown file, with the marker comment on the line before each. */
function codeBlocks(file: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    const marker = /^<!-- (not run|real broker only): (.+) -->$/.exec(lines[i - 1] ?? '');
    const lang = open[1]!;
    blocks.push({
      file,
      line: i + 1,
      lang,
      code: lines.slice(i + 1, end).join('\n'),
      notRun: marker?.[1] === 'not run' ? marker[2] : lang === 'text' ? 'output sample' : undefined,
      realOnly: marker?.[1] === 'real broker only' ? marker[2] : undefined,
    });
    i = end;
  }
  return blocks;
}

const ALL = DOCS.flatMap(codeBlocks);
const counts = { ran: 0, skipped: 0 };
let runs = 0; // a suffix per file and broker

function substitute(code: string, bootstrapServers: string, proxy: RunningProxy | undefined, suffix: string): string {
  let out = code.replaceAll('kafka1:9092,kafka2:9092', bootstrapServers).replaceAll('localhost:9092', bootstrapServers);
  if (proxy) {
    out = out.replaceAll('http://127.0.0.1:8082', proxy.url).replaceAll('http://127.0.0.1:19092', proxy.pixyUrl!);
  }
  return out.replace(new RegExp(`\\b(${NAMES.join('|')})\\b`, 'g'), `$1-${suffix}`);
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
const MODULES: { [name: string]: unknown } = { 'rdkafka-napi': rdkafka, 'rdkafka-napi/kafkajs': rdkafkaKafkajs, pino: pinoModule };

/** Runs a TypeScript example as an async function body, its imports taken from MODULES. */
async function runTypeScript(code: string, log: string[]): Promise<void> {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const body = js.replace(/^import\s+(.+?)\s+from\s+'([^']+)';$/gm, (_, what: string, from: string) => {
    if (!(from in MODULES)) throw new Error(`the example imports ${from}, which the docs test does not provide`);
    const mod = `__modules[${JSON.stringify(from)}]`;
    return what.startsWith('{') ? `const ${what.replace(/ as /g, ': ')} = ${mod};` : `const ${what} = ${mod}.default;`;
  });
  const capture = { ...console, log: (...args: unknown[]) => log.push(format(...args)) };
  const saved = rdkafka.getDefaultLogger();
  try {
    await new AsyncFunction('__modules', 'console', body)(MODULES, capture);
  } finally {
    rdkafka.setDefaultLogger(saved); // an example may set the default logger
  }
}

/** Runs a shell example with bash -e, `rdkafka-napi` being this checkout's dist/cli.js. */
function runShell(code: string, bin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    execFile('bash', ['-e', '-o', 'pipefail', '-c', code], { env, timeout: 90_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('links between the documents', () => {
  /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
  const slug = (heading: string): string =>
    heading.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
  const anchors = (file: string): Set<string> => {
    const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
    return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
  };

  it.each(DOCS)('every relative link of %s leads to a file and a heading that exist', (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
    const broken: string[] = [];
    let checked = 0;
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // http(s), mailto: not ours to check
      const [filePart, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = filePart === '' ? path.join(ROOT, file) : path.join(ROOT, path.dirname(file), filePart);
      checked++;
      if (!fs.existsSync(resolved)) broken.push(`${target}: no file ${path.relative(ROOT, resolved)}`);
      else if (anchor !== undefined && !anchors(resolved).has(anchor)) broken.push(`${target}: no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });
});

describe('the TypeScript examples', () => {
  it('type-check against lib/ with strict settings', () => {
    const tsBlocks = ALL.filter((b) => b.lang === 'ts' && b.notRun === undefined);
    const virtual = new Map(tsBlocks.map((b, i) => [path.join(ROOT, `test/.docs-example-${i}.ts`), b]));
    const options: ts.CompilerOptions = {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, types: ['node'],
      baseUrl: ROOT, paths: { 'rdkafka-napi': ['lib/index.ts'], 'rdkafka-napi/kafkajs': ['lib/kafkajs/index.ts'] },
    };
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (f) => virtual.has(f) || fileExists(f);
    host.readFile = (f) => virtual.get(f)?.code ?? readFile(f);
    host.getSourceFile = (f, lang, ...rest) => {
      const block = virtual.get(f);
      return block ? ts.createSourceFile(f, block.code, lang) : getSourceFile(f, lang, ...rest);
    };
    const program = ts.createProgram([...virtual.keys()], options, host);
    const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file && virtual.has(d.file.fileName)).map((d) => {
      const block = virtual.get(d.file!.fileName)!;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${block.file}:${block.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
    expect(tsBlocks.length).toBeGreaterThan(0);
  });
});

describe('every block has a kind the test knows', () => {
  it('each fence is ts, sh or text', () => {
    const unknown = ALL.filter((b) => !['ts', 'sh', 'text'].includes(b.lang)).map((b) => `${b.file}:${b.line} \`\`\`${b.lang}`);
    expect(unknown).toEqual([]);
  });
});

describe.each(testBrokers())('the examples on the $name broker', (broker) => {
  useBroker(broker);
  let proxy: RunningProxy;
  let bin: string;
  beforeAll(async () => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-docs-'));
    fs.writeFileSync(path.join(bin, 'rdkafka-napi'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist/cli.js')}" "$@"\n`, { mode: 0o755 });
    proxy = await startProxy(
      { ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', bootstrapServers: broker.bootstrapServers },
      // On the embedded broker, the proxy creates topics on it directly, as `npm start`'s own does.
      (bootstrapServers, config) => adminClusterView(bootstrapServers, config, broker.mock),
    );
  });
  afterAll(async () => {
    await proxy?.close();
    fs.rmSync(bin, { recursive: true, force: true });
  });

  for (const file of DOCS) {
    describe(file, () => {
      const suffix = `${broker.name}-${(runs++).toString()}-${Date.now().toString(36)}`;
      for (const block of ALL.filter((b) => b.file === file)) {
        const name = `${block.file}:${block.line} (${block.lang})`;
        const skip = block.notRun ?? (broker.name === 'mock' ? block.realOnly : undefined);
        if (skip !== undefined) {
          counts.skipped++;
          it.skip(`${name}: ${skip}`, () => undefined);
          continue;
        }
        counts.ran++;
        it(`${name} runs as written`, async () => {
          const code = substitute(block.code, broker.bootstrapServers, proxy, suffix);
          if (block.lang === 'ts') await runTypeScript(code, []);
          else await runShell(code, bin);
        }, 120_000);
      }
    });
  }
});

afterAll(() => {
  console.log(`docs examples: ${ALL.length} blocks in ${DOCS.join(', ')}; over ${testBrokers().length} broker(s), ${counts.ran} runs and ${counts.skipped} skips`);
});
