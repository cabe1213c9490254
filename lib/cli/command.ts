// What every subcommand of the `rdkafka-napi` tool shares: the command interface, option
// parsing (node:util parseArgs), the client configuration, and the output helpers.
import { parseArgs } from 'node:util';
import pino, { type Logger as PinoLogger } from 'pino';
import { KafkaError } from '../errors';
import { readCommandConfig } from './properties';

/** Where a command reads and writes; the real process, or a test's streams. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: { [name: string]: string | undefined };
  /** For commands that run until stopped (consume, mock): aborts on SIGINT or SIGTERM. */
  interrupted(): AbortSignal;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** For --help: `--name VALUE  text`. */
  value?: string;
  help: string;
}

export type OptionValues = { [name: string]: string | boolean | string[] | undefined };

export interface CliCommand {
  /** One line, for the list of commands. */
  summary: string;
  /** The arguments after the command's name, e.g. `TOPIC [TOPIC...]`. */
  usage?: string;
  /** More help text, printed after the options. */
  details?: string;
  /** The command's own options (the common ones are added). */
  options?: { [name: string]: OptionSpec };
  /** false: the command starts no client (no --bootstrap-servers / --property). */
  connects?: boolean;
  /** The command reads its arguments itself: they all arrive in `positionals` (--help still works). */
  rawArguments?: boolean;
  /** Commands under this one (topics list, topics create, ...). */
  subcommands?: { [name: string]: CliCommand };
  /** What --log-level is when not given (default 'silent': the command reports failures itself). */
  logLevel?: string;
  /** Runs the command; resolves with the exit code (default 0). */
  run?(context: CommandContext): Promise<number | void>;
}

/** A wrong command line: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'];

const COMMON_OPTIONS: { [name: string]: OptionSpec } = {
  json: { type: 'boolean', help: 'print JSON instead of text' },
  'log-level': { type: 'string', value: 'LEVEL', help: "log to stderr (JSON lines, librdkafka's included) at: silent, error, warn, info or debug" },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const CLIENT_OPTIONS: { [name: string]: OptionSpec } = {
  'bootstrap-servers': { type: 'string', short: 'b', value: 'HOST:PORT,...', help: 'the brokers (default: $KAFKA_BOOTSTRAP_SERVERS)' },
  property: { type: 'string', short: 'X', multiple: true, value: 'KEY=VALUE', help: 'a librdkafka client property, e.g. -X security.protocol=ssl (repeatable)' },
  'command-config': { type: 'string', value: 'FILE', help: "client properties from a Kafka-style properties file (librdkafka's names; Java's sasl.jaas.config, PEM trust and PKCS#12 key stores); -X wins" },
};

export class CommandContext {
  readonly io: CliIo;
  /** The command path, e.g. `rdkafka-napi topics create`. */
  readonly name: string;
  readonly options: OptionValues;
  readonly positionals: string[];
  readonly json: boolean;
  /** The one logger of the command and of every client it starts (pino, JSON lines on stderr). */
  readonly logger: PinoLogger;

  constructor(io: CliIo, name: string, options: OptionValues, positionals: string[], defaultLogLevel = 'silent') {
    this.io = io;
    this.name = name;
    this.options = options;
    this.positionals = positionals;
    this.json = options.json === true;
    const level = (options['log-level'] as string | undefined) ?? defaultLogLevel;
    if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not '${level}'`);
    this.logger = pino({ level, base: { name: 'rdkafka-napi' } }, io.stderr);
  }

  get hasBootstrapServers(): boolean {
    return Boolean(this.options['bootstrap-servers'] ?? this.io.env.KAFKA_BOOTSTRAP_SERVERS);
  }

  /** The brokers: --bootstrap-servers, else $KAFKA_BOOTSTRAP_SERVERS. */
  get bootstrapServers(): string {
    const servers = (this.options['bootstrap-servers'] as string | undefined) ?? this.io.env.KAFKA_BOOTSTRAP_SERVERS;
    if (!servers) throw new UsageError('no brokers: pass --bootstrap-servers HOST:PORT or set KAFKA_BOOTSTRAP_SERVERS');
    return servers;
  }

  /** The librdkafka configuration of a client: the brokers, `extra`, --command-config's, then every -X property (which wins). */
  clientConfig(extra: { [key: string]: string } = {}): { [key: string]: string } {
    const file = this.string('command-config');
    const fromFile = file === undefined ? {} : readCommandConfig(file);
    // The file may name the brokers too; --bootstrap-servers and $KAFKA_BOOTSTRAP_SERVERS win.
    const brokers = this.hasBootstrapServers || fromFile['bootstrap.servers'] === undefined ? this.bootstrapServers : fromFile['bootstrap.servers'];
    const config: { [key: string]: string } = { ...extra, ...fromFile, 'bootstrap.servers': brokers };
    for (const pair of (this.options.property as string[] | undefined) ?? []) {
      const [key, value] = splitPair(pair, '--property');
      config[key] = value;
    }
    return config;
  }

  string(name: string): string | undefined {
    return this.options[name] as string | undefined;
  }

  /** A required string option. */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
    return value;
  }

  /** An integer option within [min, max], or `fallback` when absent. */
  integer(name: string, min: number, max: number, fallback: number): number;
  integer(name: string, min: number, max: number, fallback?: number): number | undefined;
  integer(name: string, min: number, max: number, fallback?: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not '${text}'`);
    }
    return value;
  }

  /** A line on stdout. */
  print(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A line on stderr: notes that are not the command's output. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.print(JSON.stringify(value, null, 2));
  }
}

/** `key=value` → [key, value]; the value may contain `=`. */
export function splitPair(pair: string, option: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) throw new UsageError(`${option} takes KEY=VALUE, not '${pair}'`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}

/** All the options a command accepts: its own and the common ones. */
function optionsOf(command: CliCommand): { [name: string]: OptionSpec } {
  return { ...(command.connects === false ? {} : CLIENT_OPTIONS), ...command.options, ...COMMON_OPTIONS };
}

/** Parses a command's arguments; a wrong one is a UsageError. */
export function parseCommandLine(command: CliCommand, args: string[]): { options: OptionValues; positionals: string[] } {
  if (command.rawArguments) return { options: { help: args.includes('--help') || args.includes('-h') }, positionals: args };
  const spec = optionsOf(command);
  try {
    const parsed = parseArgs({
      args,
      options: Object.fromEntries(
        Object.entries(spec).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
      ),
      allowPositionals: true,
      strict: true,
    });
    return { options: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw error;
    // parseArgs' messages are one sentence naming the option; keep them, drop its hints.
    const message = (error as Error).message.split('. ')[0].replace(/\.$/, '');
    if (command.connects === false && /'--bootstrap-servers'|'-b'/.test(message)) {
      throw new UsageError('this command starts no client: it takes no --bootstrap-servers');
    }
    throw new UsageError(message);
  }
}

/** The --help text of a command. */
export function helpText(path: string, command: CliCommand): string {
  const lines: string[] = [];
  if (command.subcommands) {
    lines.push(`Usage: ${path} <command> [options]`, '', command.summary, '', 'Commands:');
    const width = Math.max(...Object.keys(command.subcommands).map((n) => n.length));
    for (const [name, sub] of Object.entries(command.subcommands)) lines.push(`  ${name.padEnd(width)}  ${sub.summary}`);
    lines.push('', `Run '${path} <command> --help' for a command's options.`);
    return lines.join('\n');
  }
  lines.push(`Usage: ${path}${command.usage ? ` ${command.usage}` : ''} [options]`, '', command.summary, '', 'Options:');
  const entries = Object.entries(optionsOf(command)).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  for (const [flag, help] of entries) lines.push(`  ${flag.padEnd(width)}  ${help}`);
  if (command.details) lines.push('', command.details);
  return lines.join('\n');
}

/** An error as one line: librdkafka's message and its code name. */
export function oneLine(error: unknown): string {
  const text = error instanceof KafkaError ? `${error.message} (${error.codeName})` : error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Left-aligned columns; `widths[i]` is the least width of column i (the last is never padded). */
export function formatTable(header: string[], rows: string[][], widths: number[] = []): string[] {
  const all = [header, ...rows];
  const width = header.map((_, i) => Math.max(widths[i] ?? 0, ...all.map((row) => row[i].length)));
  return all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(width[i]))).join(' ').trimEnd());
}

/** A number or Kafka's `-` for unknown. */
export function orDash(value: number | string | undefined | null): string {
  return value === undefined || value === null || value === '' ? '-' : String(value);
}
