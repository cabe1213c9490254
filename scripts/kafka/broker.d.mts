// Types of broker.mjs for the TypeScript that imports it (the tests, the harness's type check).

export const DEFAULT_KAFKA_VERSION: string;
export const LATEST_KAFKA_VERSION: string;
/** The users a secured broker knows, with their passwords (SCRAM and PLAIN alike). */
export const SECURED_USERS: Readonly<{ admin: string; alice: string; bob: string }>;

export interface KafkaOptions {
  nodes?: number;
  dir?: string;
  timeoutMs?: number;
  version?: string;
  secured?: boolean;
  zookeeper?: boolean;
}

export interface KafkaNode {
  id: number;
  port: number;
  controllerPort: number;
  /** null while the node is down. */
  pid: number | null;
  dir: string;
  /** Kafka's log.dirs. */
  logDir: string;
  /** The node's stdout and stderr. */
  logFile: string;
}

export interface SecuredListeners {
  certDir: string;
  users: typeof SECURED_USERS;
  ssl: string;
  saslSsl: string;
  oauth: string;
  wrongHost: string;
}

export interface RunningKafka {
  bootstrapServers: string;
  secured?: SecuredListeners;
  /** In ZooKeeper mode: ZooKeeper's host:port. */
  zookeeperConnect?: string;
  clusterId: string;
  version: string;
  dir: string;
  nodes: KafkaNode[];
  stop(): Promise<void>;
  /** Sends a signal to one node (default SIGKILL: a crash); false if it was not running. */
  kill(id: number, signal?: NodeJS.Signals): boolean;
  /** Stops the node if it runs, starts it again on the same ports and data, waits until it serves. */
  restart(id: number): Promise<KafkaNode>;
}

export function startKafka(options?: KafkaOptions): Promise<RunningKafka>;
export function kafkaClasspath(version?: string): Promise<string>;
export function runKafkaTool(mainClass: string, args?: string[], options?: { input?: string; timeoutMs?: number; version?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
