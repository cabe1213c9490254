// Running one driver process: through bench/.build/rusage when it is built (so CPU time and
// peak RSS are what the kernel counted, the same way for every driver), with a time limit,
// line-by-line output for progress, and RSS samples from /proc while it runs.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Usage {
  maxRssKb: number;
  cpuSeconds: number;
}

export interface ProcessRun {
  /** Exit code (128 + signal number when killed). */
  code: number;
  stdout: string;
  stderr: string;
  /** What the kernel counted for the process; absent when the rusage helper is not built. */
  usage?: Usage;
  wallSeconds: number;
  /** [seconds since start, VmRSS in KiB], when sampling was asked for. */
  rssSamplesKb: Array<[number, number]>;
  timedOut: boolean;
}

export interface ProcessOptions {
  /** The rusage helper (bench/.build/rusage), or undefined to run the command directly. */
  rusage?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  /** A file to feed on stdin (default: none). */
  stdinFile?: string;
  /** Send stdout to /dev/null (for tools that print every message). */
  discardStdout?: boolean;
  /** Called for each complete output line. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Sample the process's RSS every this many ms (0: never). */
  sampleRssMs?: number;
}

const KEEP_CHARS = 4 * 1024 * 1024;

/** Runs `argv` to completion (or its time limit). Never rejects for a non-zero exit. */
export function runProcess(argv: string[], options: ProcessOptions): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const usageFile = options.rusage ? path.join(os.tmpdir(), `rdkafka-napi-bench-usage-${process.pid}-${Math.random().toString(36).slice(2)}.json`) : undefined;
    const command = usageFile ? [options.rusage as string, usageFile, ...argv] : argv;
    const stdin = options.stdinFile ? fs.openSync(options.stdinFile, 'r') : 'ignore';
    const started = performance.now();
    const child = spawn(command[0], command.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [stdin, options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    });
    if (typeof stdin === 'number') fs.closeSync(stdin);
    let measuredPid = usageFile ? 0 : (child.pid ?? 0);
    const out = { stdout: '', stderr: '' };
    const partial = { stdout: '', stderr: '' };
    const rssSamplesKb: Array<[number, number]> = [];
    let timedOut = false;

    const take = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      if (out[stream].length < KEEP_CHARS) out[stream] += chunk;
      const lines = (partial[stream] + chunk).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) {
        if (stream === 'stderr' && measuredPid === 0 && line.startsWith('rusage-pid ')) {
          measuredPid = Number(line.slice(11));
          continue;
        }
        options.onLine?.(line, stream);
      }
    };
    child.stdout?.setEncoding('utf8').on('data', take('stdout'));
    child.stderr?.setEncoding('utf8').on('data', take('stderr'));

    const sampler =
      options.sampleRssMs && options.sampleRssMs > 0
        ? setInterval(() => {
            const kb = measuredPid > 0 ? readRssKb(measuredPid) : undefined;
            if (kb !== undefined) rssSamplesKb.push([(performance.now() - started) / 1000, kb]);
          }, options.sampleRssMs)
        : undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM'); // the rusage helper passes it on
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    }, options.timeoutMs);

    child.on('error', (error) => {
      clearTimeout(limit);
      if (sampler) clearInterval(sampler);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      clearTimeout(killTimer);
      if (sampler) clearInterval(sampler);
      for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) options.onLine?.(partial[stream], stream);
      const exit = code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
      let usage: Usage | undefined;
      if (usageFile) {
        try {
          const counted = JSON.parse(fs.readFileSync(usageFile, 'utf8')) as { maxRssKb: number; userSeconds: number; systemSeconds: number };
          usage = { maxRssKb: counted.maxRssKb, cpuSeconds: counted.userSeconds + counted.systemSeconds };
        } catch {
          // The helper was killed before writing it.
        }
        fs.rmSync(usageFile, { force: true });
      }
      resolve({ code: exit, stdout: out.stdout, stderr: out.stderr, usage, wallSeconds: (performance.now() - started) / 1000, rssSamplesKb, timedOut });
    });
  });
}

/** VmRSS of a live process in KiB, or undefined once it is gone. */
export function readRssKb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The last lines of a text, for error messages. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
