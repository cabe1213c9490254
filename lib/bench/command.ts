// `rdkafka-napi bench`: the harness as a subcommand of the rdkafka-napi tool. It reads its own
// arguments (the same as `npm run bench -- ...`; see lib/bench/cli.ts or `--list`).
import type { CliCommand } from '../cli/command';
import { main } from './cli';

export const benchCommand: CliCommand = {
  summary:
    'Benchmarks: this client, librdkafka\'s rdkafka_performance and other Kafka clients side by side, each in its own\n' +
    'process against one broker (embedded by default; --kafka or --bootstrap-servers), counts checked on the broker.\n' +
    'Options: --scenarios, --drivers, --count, --scale, --repeat, --install-peers, --out, --list (see BENCHMARKS.md).',
  connects: false,
  rawArguments: true,
  async run(context) {
    return main(context.positionals);
  },
};
