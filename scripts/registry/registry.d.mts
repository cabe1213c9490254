// Types of registry.mjs for the TypeScript that imports it (the tests).

export function findJava(): { java: string; major: number };
export function registryVersion(major?: number): string;
export function fetchRegistry(version?: string): Promise<string>;
export function startRegistry(options?: { timeoutMs?: number }): Promise<{ url: string; version: string; java: string; pid: number | undefined; stop(): Promise<void> }>;
