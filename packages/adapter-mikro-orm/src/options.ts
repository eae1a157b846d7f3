/** Property names of the subject entity, by port field. */
export interface SubjectProperties {
  id?: string
  title?: string
  opencodeSessionId?: string
}

/**
 * Property names of the message entity, by port field. Optional fields may be `null` when your
 * entity has no such property: writes to it are skipped and reads answer null.
 */
export interface MessageProperties {
  id?: string
  status?: string
  content?: string
  reasoning?: string | null
  partsJson?: string | null
  toolCallsJson?: string | null
  cost?: string | null
  inputTokens?: string | null
  outputTokens?: string | null
  cacheReadTokens?: string | null
  cacheWriteTokens?: string | null
  lastActivityAt?: string | null
  /** Bumped by terminal transitions and `update` (never by `snapshot`/`touchActivity`); null to skip. */
  updatedAt?: string | null
}

/**
 * Options of {@link mikroOrmAdapter}: which entities (by name, as registered in your ORM) and which
 * of their properties hold the subjects and messages. Everything defaults to the entities of
 * `defineOpencodeEntities()`.
 */
export interface MikroOrmAdapterOptions {
  subjects?: { entity?: string; properties?: SubjectProperties }
  messages?: { entity?: string; properties?: MessageProperties }
  /** SQLite only: how long a writer waits for another process's write lock (default 15 000 ms). */
  sqlite?: { busyTimeoutMs?: number }
}

/** Resolved subject mapping. */
export interface SubjectNames {
  entity: string
  id: string
  title: string
  opencodeSessionId: string
}

/** Resolved message mapping (`null`: the entity has no such property). */
export interface MessageNames {
  entity: string
  id: string
  status: string
  content: string
  reasoning: string | null
  partsJson: string | null
  toolCallsJson: string | null
  cost: string | null
  inputTokens: string | null
  outputTokens: string | null
  cacheReadTokens: string | null
  cacheWriteTokens: string | null
  lastActivityAt: string | null
  updatedAt: string | null
}

/** Fill in the default entities' property names for everything `options` leaves out. */
export function resolveNames(options: MikroOrmAdapterOptions): {
  subjects: SubjectNames
  messages: MessageNames
} {
  const s = options.subjects?.properties ?? {}
  const m = options.messages?.properties ?? {}
  const pick = (value: string | null | undefined, fallback: string): string | null =>
    value === undefined ? fallback : value
  return {
    subjects: {
      entity: options.subjects?.entity ?? 'OpencodeSubject',
      id: s.id ?? 'id',
      title: s.title ?? 'title',
      opencodeSessionId: s.opencodeSessionId ?? 'opencodeSessionId',
    },
    messages: {
      entity: options.messages?.entity ?? 'OpencodeMessage',
      id: m.id ?? 'id',
      status: m.status ?? 'status',
      content: m.content ?? 'content',
      reasoning: pick(m.reasoning, 'reasoning'),
      partsJson: pick(m.partsJson, 'partsJson'),
      toolCallsJson: pick(m.toolCallsJson, 'toolCallsJson'),
      cost: pick(m.cost, 'cost'),
      inputTokens: pick(m.inputTokens, 'inputTokens'),
      outputTokens: pick(m.outputTokens, 'outputTokens'),
      cacheReadTokens: pick(m.cacheReadTokens, 'cacheReadTokens'),
      cacheWriteTokens: pick(m.cacheWriteTokens, 'cacheWriteTokens'),
      lastActivityAt: pick(m.lastActivityAt, 'lastActivityAt'),
      updatedAt: pick(m.updatedAt, 'updatedAt'),
    },
  }
}
