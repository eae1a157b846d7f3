import type { MessagePort, RecordPort } from '@opencode-kit/core/adapter'

/**
 * What an adapter's race worker module exports: build its ports from environment variables (the
 * harness passes the caller's `env` through to every child) and a way to close the connections.
 */
export interface RacePortsModule {
  buildPorts(
    env: NodeJS.ProcessEnv,
  ): Promise<{ records: RecordPort; messages: MessagePort; close(): Promise<void> }>
}

/** One line of a worker's log. */
export type RaceOutcome =
  | { kind: 'ensured'; worker: number; id: string; sessionId: string; created: boolean }
  | { kind: 'failed'; worker: number; id: string; error: string }
  | { kind: 'finalize' | 'cancel'; worker: number; id: string; won: boolean }
  | { kind: 'turn'; worker: number; id: string; status: string; error?: string }
