/** One tool call of a {@link Scenario}. */
export interface ScenarioTool {
  /** Tool name (`write`, `bash`, `read`, an MCP tool…). */
  name: string
  input: Record<string, unknown>
  /** Output of a completed call (default `"ok"`). */
  output?: string
  /** Makes the call end in `error` with this text. */
  error?: string
  /** `state.title` (default: derived from the input). */
  title?: string
  metadata?: Record<string, unknown>
}

/** A todo item as `todowrite` / `todo.updated` carry it. */
export interface ScenarioTodo {
  content: string
  status: 'pending' | 'in_progress' | 'completed' | 'cancelled' | string
  priority?: string
}

/** Token usage of one model step. */
export interface ScenarioTokens {
  input: number
  output: number
  reasoning?: number
  cache?: { read: number; write: number }
}

/** What the fake model does, in order. */
export type ScenarioStep =
  | { kind: 'text'; text: string; chunks?: string[]; stallAfter?: number }
  | { kind: 'reasoning'; text: string; chunks?: string[] }
  | { kind: 'tool'; tool: ScenarioTool }
  | { kind: 'todo'; todos: ScenarioTodo[] }
  | { kind: 'cost'; usd: number; tokens?: ScenarioTokens }
  | { kind: 'retry'; attempts: number; message: string }
  | { kind: 'llmError'; statusCode: number; message: string }
  | { kind: 'permission'; permission: string; patterns: string[] }
  | { kind: 'question'; question: string; options: string[] }
  | { kind: 'disconnect'; afterEvents?: number }
  | { kind: 'stall' }

/** Everything a scenario says, as plain data. */
export interface ScenarioSpec {
  readonly steps: readonly ScenarioStep[]
  /** `prompt_async` answers this instead of 204 (and nothing runs). */
  readonly failPrompt?: { status: number; body?: unknown }
  /** The final messages keep the last step in progress (polls never see it finish). */
  readonly unfinished?: boolean
}

/**
 * A script for one prompt of the OpenCode stand-in: what the fake model streams, which tools it
 * calls, what fails. Immutable: every method returns a new scenario. The stand-in turns it into the
 * exact event sequence and final messages a real `opencode serve` 1.18 produces (one assistant
 * message per tool-loop step, the user's own text part on the stream, `step-finish` cost per step).
 *
 * @example
 * ```ts
 * const plan = scenario()
 *   .reasoning('The user wants a plan.')
 *   .todo([{ content: 'Draft', status: 'in_progress' }])
 *   .write('plan.md', '# Plan')          // a tool call: this model step ends with finish "tool-calls"
 *   .text('Done, see plan.md.')          // the next step streams the final text
 *   .cost(0.0004, { input: 1200, output: 80 })
 * standIn.enqueue(plan)
 * ```
 */
export class Scenario implements ScenarioSpec {
  readonly steps: readonly ScenarioStep[]
  readonly failPrompt?: { status: number; body?: unknown }
  readonly unfinished?: boolean

  constructor(spec: Partial<ScenarioSpec> = {}) {
    this.steps = Object.freeze([...(spec.steps ?? [])])
    if (spec.failPrompt) this.failPrompt = spec.failPrompt
    if (spec.unfinished) this.unfinished = spec.unfinished
  }

  private with(step: ScenarioStep): Scenario {
    return new Scenario({ ...this.spec, steps: [...this.steps, step] })
  }

  private get spec(): ScenarioSpec {
    return { steps: this.steps, failPrompt: this.failPrompt, unfinished: this.unfinished }
  }

  /**
   * Stream text, as word deltas (or the given `chunks`). With `stallAfter: n`, only the first `n`
   * deltas are sent and the turn stalls with the part still open: its stored copy keeps
   * `text: ""`, as the real 1.18.33 server's does until a part ends.
   */
  text(text: string, options: { chunks?: string[]; stallAfter?: number } = {}): Scenario {
    return this.with({ kind: 'text', text, chunks: options.chunks, stallAfter: options.stallAfter })
  }

  /** Stream reasoning (its deltas say `field: "text"`, as on the real server). */
  reasoning(text: string, options: { chunks?: string[] } = {}): Scenario {
    return this.with({ kind: 'reasoning', text, chunks: options.chunks })
  }

  /** Call a tool. The model step ends with `finish: "tool-calls"`; what follows is the next step. */
  tool(name: string, call: Omit<ScenarioTool, 'name'> = { input: {} }): Scenario {
    return this.with({ kind: 'tool', tool: { name, ...call } })
  }

  /** The `write` tool creating `filePath` with `content` (followed by a `patch` part). */
  write(filePath: string, content: string): Scenario {
    return this.tool('write', {
      input: { filePath, content },
      output: 'Wrote file successfully.',
      title: filePath,
      metadata: { filepath: filePath, exists: false, truncated: false },
    })
  }

  /** The `todowrite` tool and its `todo.updated` event. */
  todo(todos: ScenarioTodo[]): Scenario {
    return this.with({ kind: 'todo', todos })
  }

  /** Cost and tokens of the current model step (its `step-finish` and message info). */
  cost(usd: number, tokens?: ScenarioTokens): Scenario {
    return this.with({ kind: 'cost', usd, tokens })
  }

  /** The provider fails `attempts` times: `session.status` retry events (OpenCode never errors by itself). */
  retry(attempts: number, message = 'upstream overloaded'): Scenario {
    return this.with({ kind: 'retry', attempts, message })
  }

  /** The provider rejects the request: `session.error` APIError, `info.error`, no parts, then idle. */
  llmError(error: { statusCode?: number; message?: string } = {}): Scenario {
    return this.with({
      kind: 'llmError',
      statusCode: error.statusCode ?? 400,
      message: error.message ?? 'the model rejected the request',
    })
  }

  /** A tool waits for permission (`permission.asked`) until `POST /permission/:id/reply`. */
  permission(permission = 'bash', patterns: string[] = ['*']): Scenario {
    return this.with({ kind: 'permission', permission, patterns })
  }

  /** The agent asks the user (`question.asked`) and waits for `POST /question/:id/reply`. */
  question(question: string, options: string[] = []): Scenario {
    return this.with({ kind: 'question', question, options })
  }

  /** Drop every open event stream here; the turn continues once a client reconnects. */
  disconnect(): Scenario {
    return this.with({ kind: 'disconnect' })
  }

  /** Drop the event streams after `n` events of this turn (the turn continues on the next connection). */
  disconnectAfter(n: number): Scenario {
    return new Scenario({ ...this.spec, steps: [{ kind: 'disconnect', afterEvents: n }, ...this.steps] })
  }

  /** Stop here: no more events, no idle, the message stays in progress (deadline and recovery tests). */
  stall(): Scenario {
    return this.with({ kind: 'stall' })
  }

  /** The stream goes idle but the final messages show the agent still working. */
  keepWorking(): Scenario {
    return new Scenario({ ...this.spec, unfinished: true })
  }

  /** `prompt_async` answers `status` (nothing runs). */
  failPromptWith(status: number, body?: unknown): Scenario {
    return new Scenario({ ...this.spec, failPrompt: { status, body } })
  }

  /** A turn that produces nothing: an empty assistant message, then idle. */
  static empty(): Scenario {
    return new Scenario()
  }
}

/**
 * Start a {@link Scenario}.
 *
 * @example
 * ```ts
 * standIn.enqueue(scenario().text('Hello!').cost(0.0001, { input: 10, output: 3 }))
 * ```
 */
export const scenario = (): Scenario => new Scenario()
