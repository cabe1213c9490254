#!/usr/bin/env node
// The `rdkafka-napi` command: topics, groups, produce, consume, mock, proxy, bench, acls.
// Each subcommand is a CliCommand in lib/cli/; adding one is a line in `commands` below.
// Errors are one line on stderr: exit code 1 for a failure, 2 for a wrong command line.
import { aclsCommand } from './cli/acls';
import { benchCommand } from './bench/command';
import { consumeCommand } from './cli/consume';
import { setDefaultLogger } from './logger';
import { CommandContext, helpText, oneLine, parseCommandLine, UsageError, type CliCommand, type CliIo } from './cli/command';
import { groupsCommand } from './cli/groups';
import { KafkaError } from './errors';
import { mockCommand } from './cli/mock';
import { produceCommand } from './cli/produce';
import { proxyCommand } from './cli/proxy';
import { topicsCommand } from './cli/topics';

export type { CliCommand, CliIo } from './cli/command';
export { CommandContext, UsageError } from './cli/command';

const PROGRAM = 'rdkafka-napi';
/** _TRANSPORT, _RESOLVE, _TIMED_OUT, _ALL_BROKERS_DOWN */
const UNREACHABLE = new Set([-195, -193, -185, -187]);

/** The subcommands, by name. */
export const commands: { [name: string]: CliCommand } = {
  topics: topicsCommand,
  groups: groupsCommand,
  produce: produceCommand,
  consume: consumeCommand,
  mock: mockCommand,
  proxy: proxyCommand,
  bench: benchCommand,
  acls: aclsCommand,
};

const program: CliCommand = {
  summary:
    'A Kafka command-line tool over librdkafka. Every command that talks to Kafka takes --bootstrap-servers\n' +
    '(default: $KAFKA_BOOTSTRAP_SERVERS) and -X KEY=VALUE for other client properties; --json prints JSON.',
  subcommands: commands,
};

/** Runs the tool on `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  return run(PROGRAM, program, argv, io);
}

async function run(path: string, command: CliCommand, args: string[], io: CliIo): Promise<number> {
  if (command.subcommands) {
    const [name, ...rest] = args;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      (name === undefined ? io.stderr : io.stdout).write(`${helpText(path, command)}\n`);
      return name === undefined ? 2 : 0;
    }
    const sub = Object.hasOwn(command.subcommands, name) ? command.subcommands[name] : undefined;
    if (sub === undefined) {
      io.stderr.write(`${path}: unknown command '${name}' (see ${path} --help)\n`);
      return 2;
    }
    return run(`${path} ${name}`, sub, rest, io);
  }
  let context: CommandContext | undefined;
  try {
    const { options, positionals } = parseCommandLine(command, args);
    if (options.help === true) {
      io.stdout.write(`${helpText(path, command)}\n`);
      return 0;
    }
    context = new CommandContext(io, path, options, positionals, command.logLevel);
    setDefaultLogger(context.logger); // the embedded broker, and any client made without one, log there too
    const code = await command.run!(context);
    return code ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${path}: ${oneLine(error)} (see ${path} --help)\n`);
      return 2;
    }
    // For failures to reach the cluster, say which brokers were tried.
    const unreachable = error instanceof KafkaError && UNREACHABLE.has(error.code) && context?.hasBootstrapServers;
    io.stderr.write(`${path}: ${oneLine(error)}${unreachable ? ` [bootstrap servers: ${context!.bootstrapServers}]` : ''}\n`);
    return 1;
  }
}

/** The process's own streams and signals. */
export function processIo(): CliIo {
  let controller: AbortController | undefined;
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    interrupted() {
      if (controller === undefined) {
        const c = new AbortController();
        controller = c;
        const stop = () => c.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
      return controller.signal;
    },
  };
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${PROGRAM}: ${oneLine(error)}\n`);
      process.exitCode = 1;
    },
  );
}
