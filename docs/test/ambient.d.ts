// Minimal shapes of third-party libraries the documentation mentions but the repo does not install.
declare module '@sentry/node' {
  export function captureException(error: unknown, context?: { level?: string; extra?: unknown }): string
}

declare module '@opentelemetry/api' {
  interface Span {
    end(): void
    recordException(error: Error): void
    setAttribute(key: string, value: string | number | boolean): Span
  }
  interface Tracer {
    startActiveSpan<T>(
      name: string,
      options: { attributes?: Record<string, string> },
      run: (span: Span) => T,
    ): T
    startSpan(name: string, options?: { startTime?: number; attributes?: Record<string, string> }): Span
  }
  export const trace: { getTracer(name: string): Tracer }
}

declare module 'umzug' {
  export class SequelizeStorage {
    constructor(options: { sequelize: unknown; tableName?: string })
  }
  export class Umzug {
    constructor(options: { migrations: unknown; context?: unknown; storage?: unknown; logger?: unknown })
    up(): Promise<unknown[]>
  }
}

declare module 'my-opencode-adapter' {
  import type { MessagePort, RecordPort } from '@opencode-kit/core/adapter'

  interface Db {
    query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
    dropSchemaAndClose(): Promise<void>
  }
  export function connectToAFreshSchema(): Promise<Db>
  export function myAdapter(db: Db): { records: RecordPort; messages: MessagePort }
}

// React, for the ```tsx samples: only what they use.
declare module 'react' {
  export function useReducer<S, A>(reducer: (state: S, action: A) => S, initial: S): [S, (action: A) => void]
  export function useEffect(effect: () => undefined | (() => void), deps?: readonly unknown[]): void
}

declare module 'react/jsx-runtime' {
  export namespace JSX {
    type Element = { readonly type: unknown }
    interface IntrinsicElements {
      // biome-ignore lint/suspicious/noExplicitAny: any HTML element with any props
      [name: string]: any
    }
  }
  export function jsx(type: unknown, props: unknown, key?: unknown): JSX.Element
  export function jsxs(type: unknown, props: unknown, key?: unknown): JSX.Element
  export const Fragment: unique symbol
}
