/** Receives prefixed trace events. */
export type TraceEmitter = (name: string, payload: Record<string, unknown>) => void

/**
 * Prefixes event names before handing them to an emitter: `call("turn.finished", …)` emits
 * `"<prefix>.turn.finished"`. Turn accepts any `(name, payload) => void`; this is the helper.
 *
 * @example
 * ```ts
 * const tracer = new Tracer({ prefix: 'assistant', emitter: (name, payload) => logger.info(payload, name) })
 * tracer.call('response.started', { subject_id: 1 }) // logs "assistant.response.started"
 * ```
 */
export class Tracer {
  /** Prepended to every name, without a trailing dot. */
  readonly prefix: string
  private readonly emitter: TraceEmitter

  /** `prefix` (a trailing dot is dropped) and the `emitter` to forward to. */
  constructor(options: { prefix: string; emitter: TraceEmitter }) {
    this.prefix = options.prefix.replace(/\.$/, '')
    this.emitter = options.emitter
  }

  /** Emit `"<prefix>.<name>"` with `payload`. */
  call(name: string, payload: Record<string, unknown> = {}): void {
    this.emitter(this.prefix ? `${this.prefix}.${name}` : name, payload)
  }
}
