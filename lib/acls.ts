// ACL bindings in Kafka's vocabulary (kafka-acls.sh, the Java AdminClient), to and from the
// numeric tuples of the C-style ACL functions.
import type { AclBindingTuple, AclFilterTuple } from './native';
import { invalidParameter } from './validate';

/** 'cluster' is Kafka's cluster resource (named `kafka-cluster`); librdkafka calls it broker. */
export type AclResourceType = 'topic' | 'group' | 'cluster';
export type AclPatternType = 'literal' | 'prefixed';
export type AclOperation =
  | 'all' | 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe'
  | 'cluster-action' | 'describe-configs' | 'alter-configs' | 'idempotent-write';
export type AclPermission = 'allow' | 'deny';

/** One ACL: `principal` (e.g. 'User:alice') may (or may not) do `operation` on the resource from `host`. */
export interface AclBinding {
  resourceType: AclResourceType;
  /** A topic or group name (or its prefix); '*' is every one; 'kafka-cluster' for the cluster. */
  resourceName: string;
  /** Default 'literal'. */
  patternType?: AclPatternType;
  principal: string;
  /** Default '*': any host. */
  host?: string;
  operation: AclOperation;
  /** Default 'allow'. */
  permission?: AclPermission;
}

/** What `describeAcls` and `deleteAcls` match: a field left out matches anything; 'match' patterns match the ACLs that apply to a name. */
export interface AclFilter {
  resourceType?: AclResourceType | 'any';
  resourceName?: string;
  patternType?: AclPatternType | 'any' | 'match';
  principal?: string;
  host?: string;
  operation?: AclOperation | 'any';
  permission?: AclPermission | 'any';
}

const RESOURCE_TYPES = { any: 1, topic: 2, group: 3, cluster: 4 } as const;
const PATTERN_TYPES = { any: 1, match: 2, literal: 3, prefixed: 4 } as const;
const OPERATIONS = {
  any: 1, all: 2, read: 3, write: 4, create: 5, delete: 6, alter: 7, describe: 8,
  'cluster-action': 9, 'describe-configs': 10, 'alter-configs': 11, 'idempotent-write': 12,
} as const;
const PERMISSIONS = { any: 1, deny: 2, allow: 3 } as const;

function code<T extends { [name: string]: number }>(table: T, value: unknown, parameter: string, filter: boolean): number {
  const names = Object.keys(table).filter((n) => filter || (n !== 'any' && n !== 'match'));
  // Kafka's tools write them in capitals with underscores (TOPIC, CLUSTER_ACTION): take those too.
  const key = typeof value === 'string' ? value.toLowerCase().replace(/_/g, '-') : undefined;
  if (key === undefined || !names.includes(key)) throw invalidParameter(`one of ${names.map((n) => `'${n}'`).join(', ')}`, parameter, value);
  return table[key as keyof T];
}

function name<T extends { [name: string]: number }>(table: T, value: number): keyof T {
  return (Object.keys(table) as (keyof T)[]).find((k) => table[k] === value) ?? ('unknown' as keyof T);
}

function text(value: unknown, parameter: string, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw invalidParameter('a non-empty string', parameter, value);
  return value;
}

/** A binding to create, checked, as the C-style functions take it. */
export function bindingTuple(binding: AclBinding, parameter: string): AclBindingTuple {
  if (typeof binding !== 'object' || binding === null) throw invalidParameter('an ACL binding object', parameter, binding);
  return [
    code(RESOURCE_TYPES, binding.resourceType, `${parameter}.resourceType`, false),
    text(binding.resourceName, `${parameter}.resourceName`),
    code(PATTERN_TYPES, binding.patternType ?? 'literal', `${parameter}.patternType`, false),
    text(binding.principal, `${parameter}.principal`),
    text(binding.host, `${parameter}.host`, '*'),
    code(OPERATIONS, binding.operation, `${parameter}.operation`, false),
    code(PERMISSIONS, binding.permission ?? 'allow', `${parameter}.permission`, false),
  ];
}

/** A filter, checked; fields left out match anything. */
export function filterTuple(filter: AclFilter, parameter: string): AclFilterTuple {
  if (typeof filter !== 'object' || filter === null) throw invalidParameter('an ACL filter object', parameter, filter);
  const optional = (value: unknown, p: string) => (value === undefined ? null : text(value, `${parameter}.${p}`));
  return [
    code(RESOURCE_TYPES, filter.resourceType ?? 'any', `${parameter}.resourceType`, true),
    optional(filter.resourceName, 'resourceName'),
    code(PATTERN_TYPES, filter.patternType ?? 'any', `${parameter}.patternType`, true),
    optional(filter.principal, 'principal'),
    optional(filter.host, 'host'),
    code(OPERATIONS, filter.operation ?? 'any', `${parameter}.operation`, true),
    code(PERMISSIONS, filter.permission ?? 'any', `${parameter}.permission`, true),
  ];
}

/** A binding the broker reported. */
export function bindingOf([resourceType, resourceName, patternType, principal, host, operation, permission]: AclBindingTuple): Required<AclBinding> {
  return {
    resourceType: name(RESOURCE_TYPES, resourceType) as AclResourceType,
    resourceName,
    patternType: name(PATTERN_TYPES, patternType) as AclPatternType,
    principal,
    host,
    operation: name(OPERATIONS, operation) as AclOperation,
    permission: name(PERMISSIONS, permission) as AclPermission,
  };
}
