// Argument checks for the public classes. Every failure reads the same way:
// "Expected <what> for <parameter> but received <value> of type <type>".
import type { Bytes } from './native';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  const type = typeof value;
  if (type === 'object') return `an object (${(value as object).constructor?.name ?? 'no prototype'})`;
  if (type === 'function') return 'a function';
  let text = String(value);
  if (text.length > 40) text = `${text.slice(0, 40)}...`;
  return `${type === 'string' ? `'${text}'` : text} of type ${type}`;
}

export function invalidParameter(what: string, parameter: string, value: unknown): TypeError {
  return new TypeError(`Expected ${what} for ${parameter} but received ${describe(value)}`);
}

export function expectString(value: unknown, parameter: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw invalidParameter('a non-empty string', parameter, value);
  }
  return value;
}

export function expectInteger(value: unknown, parameter: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`an integer between ${min} and ${max}`, parameter, value);
  }
  return value;
}

export function expectBytes(value: unknown, parameter: string): Bytes {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw invalidParameter('a Buffer, Uint8Array, string or null', parameter, value);
}

export const INT32_MAX = 2147483647;

/** A partition number, or -1 (the partitioner picks). */
export function expectPartition(value: unknown, parameter = 'partition'): number {
  if (value === undefined || value === null) return -1;
  return expectInteger(value, parameter, -1, INT32_MAX);
}

export function expectTimeout(value: unknown, parameter = 'timeoutMs'): number {
  return expectInteger(value, parameter, 0, INT32_MAX);
}

/** Kafka's own limit on a topic name's length. */
export const TOPIC_NAME_MAX = 249;

/**
 * Why Kafka would refuse `name` as a topic name (its rules: 1 to 249 characters of ASCII
 * letters, digits, '.', '_' and '-', and neither '.' nor '..'), or undefined when it is legal.
 */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a topic name cannot be empty';
  if (name.length > TOPIC_NAME_MAX) return `a topic name has at most ${TOPIC_NAME_MAX} characters, this one has ${name.length}`;
  if (name === '.' || name === '..') return `'${name}' cannot be a topic name`;
  const bad = /[^A-Za-z0-9._-]/.exec(name);
  if (bad !== null) {
    const char = bad[0];
    const shown = char.charCodeAt(0) < 32 || char.charCodeAt(0) > 126 ? `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : `'${char}'`;
    return `a topic name may contain only ASCII letters, digits, '.', '_' and '-', not ${shown} (at position ${bad.index})`;
  }
  return undefined;
}
