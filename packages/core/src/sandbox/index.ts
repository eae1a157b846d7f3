/**
 * `@opencode-kit/core/sandbox` (Node only): the security boundary between an agent that writes
 * files and the host that trusts them — `Sandbox` scans, `SandboxFile` reads through a guarded
 * open, `UploadedFilesPrompt` copies user uploads in — and the artifact building blocks a turn
 * uses after it: `MessageArtifacts` (attach what the agent wrote), `Artifact`, `Exchange`.
 */
export { Artifact, type ArtifactInit } from '../host/Artifact.js'
export { Exchange } from '../host/Exchange.js'
export {
  type AttachFromInput,
  MessageArtifacts,
  type MessageArtifactsOptions,
} from '../host/MessageArtifacts.js'
export type { SandboxEntry, SandboxSource } from '../host/SandboxSource.js'
export * from './Sandbox.js'
export * from './SandboxFile.js'
export * from './sandboxDirectoryFor.js'
export * from './UnsafeFileError.js'
export * from './UploadedFilesPrompt.js'
