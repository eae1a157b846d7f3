import type { Artifact } from './Artifact.js'

/**
 * One agent-written file found in a sandbox. Implemented by `SandboxFile` in
 * `@opencode-kit/core/sandbox`; declared here so the runtime-agnostic orchestration layer
 * (MessageArtifacts, Transform) can use it without importing Node code.
 */
export interface SandboxEntry {
  /** The file's name inside the sandbox (no directory part). */
  readonly basename: string
  /** Absolute path on disk. */
  readonly path: string
  /** Content type from the filename. */
  readonly contentType: string
  /** Read the bytes through the guarded open; throws `UnsafeFileError` when the file is no longer safe. */
  content(): Promise<Uint8Array>
  /** The file as an {@link Artifact} (re-reads it through the guarded open). */
  asArtifact(): Promise<Artifact>
}

/** A directory the agent writes into, scanned after a turn for new files. Implemented by `Sandbox`. */
export interface SandboxSource {
  /** True when the sandbox directory exists. */
  exists(): Promise<boolean>
  /** Safe top-level files modified after `after` (minus the clock-skew slack), sorted by name. */
  files(options?: { after?: Date }): AsyncIterable<SandboxEntry>
}
