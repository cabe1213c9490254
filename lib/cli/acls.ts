// rdkafka-napi acls list | create | delete, in the words of Kafka's kafka-acls.sh.
import type { AclBinding, AclFilter, AclOperation, AclResourceType } from '../acls';
import { UsageError, type CliCommand, type CommandContext, type OptionSpec } from './command';
import { withAdmin } from './topics';

const RESOURCE_OPTIONS: { [name: string]: OptionSpec } = {
  topic: { type: 'string', value: 'TOPIC', help: "the topic (or prefix); '*' for every topic" },
  group: { type: 'string', value: 'GROUP', help: "the consumer group (or prefix); '*' for every group" },
  cluster: { type: 'boolean', help: 'the cluster itself (kafka-cluster)' },
  'resource-pattern-type': { type: 'string', value: 'TYPE', help: 'literal or prefixed (default: literal; for list: any); list and delete also take any and match' },
  'timeout-ms': { type: 'string', value: 'MS', help: 'how long the request may take (default 30000)' },
};

/** The one resource named by --topic, --group or --cluster (none: undefined, when `optional`). */
function resource(context: CommandContext, optional: boolean): { resourceType: AclResourceType; resourceName: string } | undefined {
  const chosen = [
    context.string('topic') !== undefined && { resourceType: 'topic' as const, resourceName: context.string('topic')! },
    context.string('group') !== undefined && { resourceType: 'group' as const, resourceName: context.string('group')! },
    context.options.cluster === true && { resourceType: 'cluster' as const, resourceName: 'kafka-cluster' },
  ].filter((r) => r !== false);
  if (chosen.length > 1) throw new UsageError('name one resource: --topic, --group or --cluster');
  if (chosen.length === 0 && !optional) throw new UsageError('which resource? give --topic, --group or --cluster');
  return chosen[0] || undefined;
}

function patternType(context: CommandContext, fallback: string | undefined): AclFilter['patternType'] {
  const value = context.string('resource-pattern-type')?.toLowerCase() ?? fallback;
  return value as AclFilter['patternType'];
}

function operations(context: CommandContext, required: boolean): (AclOperation | undefined)[] {
  const ops = ((context.options.operation as string[] | undefined) ?? []).map((o) => o.toLowerCase().replace(/_/g, '-') as AclOperation);
  if (ops.length === 0 && required) throw new UsageError('which operation? give --operation (Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All)');
  return ops.length === 0 ? [undefined] : ops;
}

/** kafka-acls.sh writes operations in CamelCase (ClusterAction); take that as well. */
function camelToKebab(ops: string[]): string[] {
  return ops.map((o) => o.replace(/([a-z])([A-Z])/g, '$1-$2'));
}

/** The bindings of --allow-principal / --deny-principal × hosts × operations on the resource. */
function bindings(context: CommandContext): AclBinding[] {
  const target = resource(context, false)!;
  const out: AclBinding[] = [];
  for (const [permission, principals, hosts] of [
    ['allow', context.options['allow-principal'], context.options['allow-host']],
    ['deny', context.options['deny-principal'], context.options['deny-host']],
  ] as const) {
    for (const principal of (principals as string[] | undefined) ?? []) {
      for (const host of (hosts as string[] | undefined) ?? ['*']) {
        for (const operation of operations(context, true)) {
          out.push({ ...target, patternType: patternType(context, 'literal') as AclBinding['patternType'], principal, host, operation: operation!, permission });
        }
      }
    }
  }
  if (out.length === 0) throw new UsageError('whose ACL? give --allow-principal or --deny-principal (e.g. User:alice)');
  return out;
}

function filters(context: CommandContext, defaultPattern: 'any' | 'literal'): AclFilter[] {
  const target = resource(context, true);
  const principals = [
    ...(((context.options['allow-principal'] as string[] | undefined) ?? []).map((p) => [p, 'allow'] as const)),
    ...(((context.options['deny-principal'] as string[] | undefined) ?? []).map((p) => [p, 'deny'] as const)),
    ...(((context.options.principal as string[] | undefined) ?? []).map((p) => [p, undefined] as const)),
  ];
  const base: AclFilter = { ...target, patternType: patternType(context, target ? defaultPattern : 'any') };
  const out: AclFilter[] = [];
  for (const operation of operations(context, false)) {
    for (const [principal, permission] of principals.length > 0 ? principals : [[undefined, undefined] as const]) {
      out.push({ ...base, ...(operation && { operation }), ...(principal && { principal }), ...(permission && { permission }) });
    }
  }
  return out;
}

/** kafka-acls.sh's listing: the ACLs grouped by resource pattern. */
function printAcls(context: CommandContext, heading: string, acls: Required<AclBinding>[]): void {
  if (context.json) return context.printJson(acls);
  const byResource = new Map<string, Required<AclBinding>[]>();
  for (const acl of acls) {
    const key = `ResourcePattern(resourceType=${acl.resourceType.toUpperCase()}, name=${acl.resourceName}, patternType=${acl.patternType.toUpperCase()})`;
    byResource.set(key, [...(byResource.get(key) ?? []), acl]);
  }
  for (const [key, list] of byResource) {
    context.print(`${heading} \`${key}\`:`);
    for (const a of list) {
      const operation = a.operation.toUpperCase().replace(/-/g, '_');
      context.print(` \t(principal=${a.principal}, host=${a.host}, operation=${operation}, permissionType=${a.permission.toUpperCase()})`);
    }
    context.print();
  }
}

const principalOptions: { [name: string]: OptionSpec } = {
  'allow-principal': { type: 'string', multiple: true, value: 'PRINCIPAL', help: 'whom the ACL allows, e.g. User:alice (repeatable)' },
  'deny-principal': { type: 'string', multiple: true, value: 'PRINCIPAL', help: 'whom the ACL denies (repeatable)' },
  operation: { type: 'string', multiple: true, value: 'OPERATION', help: 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite or All (repeatable)' },
};

function timeout(context: CommandContext): number {
  return context.integer('timeout-ms', 1, 3_600_000, 30_000);
}

function normalizeOperations(context: CommandContext): void {
  const ops = context.options.operation as string[] | undefined;
  if (ops) context.options.operation = camelToKebab(ops);
}

const list: CliCommand = {
  summary: 'list ACLs (all, or those of a resource or principal), as kafka-acls.sh --list prints them',
  options: { ...RESOURCE_OPTIONS, principal: { type: 'string', multiple: true, value: 'PRINCIPAL', help: 'only the ACLs of this principal (repeatable)' } },
  async run(context) {
    normalizeOperations(context);
    // As kafka-acls.sh --list: every pattern type unless one is given; a section per principal asked for.
    const sections = await withAdmin(context, (admin) =>
      Promise.all(filters(context, 'any').map(async (f) => ({ principal: f.principal, acls: await admin.describeAcls(f, { timeoutMs: timeout(context) }) }))),
    );
    if (context.json) return context.printJson(sections.flatMap((s) => s.acls));
    for (const { principal, acls } of sections) {
      if (principal !== undefined) context.print(`ACLs for principal \`${principal}\``);
      printAcls(context, 'Current ACLs for resource', acls);
    }
  },
};

const create: CliCommand = {
  summary: 'add ACLs: each principal × host × operation on one resource (kafka-acls.sh --add)',
  options: {
    ...RESOURCE_OPTIONS,
    ...principalOptions,
    'allow-host': { type: 'string', multiple: true, value: 'HOST', help: "the hosts allowed from (default '*')" },
    'deny-host': { type: 'string', multiple: true, value: 'HOST', help: "the hosts denied from (default '*')" },
  },
  async run(context) {
    normalizeOperations(context);
    const list = bindings(context);
    await withAdmin(context, (admin) => admin.createAcls(list, { timeoutMs: timeout(context) }));
    printAcls(context, 'Adding ACLs for resource', list.map((b) => ({ patternType: 'literal', host: '*', permission: 'allow', ...b })));
  },
};

const remove: CliCommand = {
  summary: 'delete the ACLs matching a resource, principals and operations (kafka-acls.sh --remove); prints those deleted',
  options: { ...RESOURCE_OPTIONS, ...principalOptions, principal: { type: 'string', multiple: true, value: 'PRINCIPAL', help: 'the ACLs of this principal, allow or deny (repeatable)' } },
  async run(context) {
    normalizeOperations(context);
    const list = filters(context, 'literal');
    if (list.every((f) => f.resourceType === undefined && f.principal === undefined)) {
      throw new UsageError('delete which ACLs? give a resource (--topic, --group, --cluster) or a principal');
    }
    const deleted = await withAdmin(context, (admin) => admin.deleteAcls(list, { timeoutMs: timeout(context) }));
    if (!context.json && deleted.length === 0) context.note('No ACLs matched.');
    printAcls(context, 'Removed ACLs for resource', deleted);
  },
};

export const aclsCommand: CliCommand = {
  summary: "list, create and delete ACLs, in kafka-acls.sh's terms",
  subcommands: { list, create, delete: remove },
};
