// rdkafka-napi groups list | describe GROUP
import type { GroupLag } from '../admin';
import { formatTable, orDash, UsageError, type CliCommand } from './command';
import { withAdmin } from './topics';

const timeoutOption = { type: 'string', value: 'MS', help: 'how long each request may take (default 30000)' } as const;

const list: CliCommand = {
  summary: 'list the consumer groups, one a line',
  options: {
    state: { type: 'boolean', help: 'also show each group\'s state (GROUP STATE columns)' },
    'timeout-ms': timeoutOption,
  },
  async run(context) {
    const timeoutMs = context.integer('timeout-ms', 1, 3_600_000, 30_000);
    const groups = await withAdmin(context, (admin) => admin.listGroups({ timeoutMs }));
    if (context.json) {
      context.printJson(groups);
    } else if (context.options.state === true) {
      for (const line of formatTable(['GROUP', 'STATE'], groups.map((g) => [g.groupId, g.state]))) context.print(line);
    } else {
      for (const g of groups) context.print(g.groupId);
    }
  },
};

/** The columns of Kafka's kafka-consumer-groups.sh --describe, with its least widths. */
const COLUMNS = ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];
const WIDTHS = [15, 15, 10, 15, 15, 15, 15, 15, 0];

const describe: CliCommand = {
  summary: "describe consumer groups: each partition's committed offset, log end offset and lag, and the member holding it",
  usage: 'GROUP [GROUP...]',
  details:
    'The columns are those of Kafka\'s kafka-consumer-groups.sh --describe; "-" is unknown (no committed\n' +
    'offset, or no member holds the partition). The embedded broker cannot describe groups: there the\n' +
    'member columns stay "-" and only partitions with a committed offset are shown.',
  options: { 'timeout-ms': timeoutOption },
  async run(context) {
    if (context.positionals.length === 0) throw new UsageError('which group? (rdkafka-napi groups describe GROUP)');
    const timeoutMs = context.integer('timeout-ms', 1, 3_600_000, 30_000);
    const lags: GroupLag[] = await withAdmin(context, async (admin) => {
      const out: GroupLag[] = [];
      for (const group of context.positionals) out.push(await admin.groupLag(group, { timeoutMs }));
      return out;
    });
    if (context.json) {
      context.printJson(lags.length === 1 ? lags[0] : lags);
      return;
    }
    const rows: string[][] = [];
    for (const lag of lags) {
      if (lag.members === undefined) context.note(`(The embedded broker cannot describe group '${lag.groupId}': CONSUMER-ID, HOST and CLIENT-ID are unknown.)`);
      else if (lag.members.length === 0) context.note(`Consumer group '${lag.groupId}' has no active members.`);
      for (const p of lag.partitions) {
        rows.push([lag.groupId, p.topic, String(p.partition), orDash(p.currentOffset), orDash(p.logEndOffset), orDash(p.lag), orDash(p.consumerId), orDash(p.host), orDash(p.clientId)]);
      }
      // Members holding no partition get a row of their own, as in Kafka's tool.
      const holding = new Set(lag.partitions.map((p) => p.consumerId));
      for (const m of lag.members ?? []) {
        if (!holding.has(m.memberId)) rows.push([lag.groupId, '-', '-', '-', '-', '-', m.memberId, m.host, m.clientId]);
      }
    }
    for (const line of formatTable(COLUMNS, rows, WIDTHS)) context.print(line);
  },
};

export const groupsCommand: CliCommand = {
  summary: 'list consumer groups and describe their offsets, lag and members',
  subcommands: { list, describe },
};
