import { type Clock, systemClock } from '../support/Clock.js'

/** A pending question or permission request. */
export interface PendingPrompt {
  /** What is pending. */
  kind: 'question' | 'permission'
  /** `que_…` / `per_…`: answer with this id. */
  requestId: string
  /** The tool call's message, when the request names one. */
  messageId: string | undefined
  /** The tool call's id, when the request names one. */
  callId: string | undefined
  /** The event's properties. */
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

  /** `clock` stamps `askedAt`. */
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

  /** The pending request with this id. */
  find(requestId: string): PendingPrompt | undefined {
    return this.byId.get(requestId)
  }

  /** The pending request of a tool call. */
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
