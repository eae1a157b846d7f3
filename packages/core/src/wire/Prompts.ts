import { type Clock, systemClock } from './Clock.js'

/** A pending question or permission request. */
export interface PendingPrompt {
  kind: 'question' | 'permission'
  requestId: string
  messageId: string | undefined
  callId: string | undefined
  payload: Record<string, unknown>
  /** Monotonic time it was asked (the Clock's `now()`). */
  askedAt: number
}

/**
 * Questions and permission requests the agent is waiting on. While any is pending the turn is
 * "prompt blocked": deadlines are suspended, because a user can take many minutes to answer.
 */
export class Prompts {
  private readonly byId = new Map<string, PendingPrompt>()
  private readonly clock: Clock

  constructor(clock: Clock = systemClock) {
    this.clock = clock
  }

  /** Record a request. */
  record(
    kind: PendingPrompt['kind'],
    requestId: string,
    payload: Record<string, unknown>,
    tool?: { messageID?: unknown; callID?: unknown },
  ): PendingPrompt {
    const prompt: PendingPrompt = {
      kind,
      requestId,
      messageId: typeof tool?.messageID === 'string' ? tool.messageID : undefined,
      callId: typeof tool?.callID === 'string' ? tool.callID : undefined,
      payload,
      askedAt: this.clock.now(),
    }
    this.byId.set(requestId, prompt)
    return prompt
  }

  /** Remove a request; returns it (with `askedAt`) or undefined when unknown. */
  resolve(requestId: string): PendingPrompt | undefined {
    const prompt = this.byId.get(requestId)
    this.byId.delete(requestId)
    return prompt
  }

  find(requestId: string): PendingPrompt | undefined {
    return this.byId.get(requestId)
  }

  findByCall(messageId: string, callId: string): PendingPrompt | undefined {
    for (const prompt of this.byId.values())
      if (prompt.messageId === messageId && prompt.callId === callId) return prompt
    return undefined
  }

  /** Every pending request, oldest first. */
  pending(): PendingPrompt[] {
    return [...this.byId.values()]
  }

  /** True while any question or permission waits for an answer. */
  get promptBlocked(): boolean {
    return this.byId.size > 0
  }
}
