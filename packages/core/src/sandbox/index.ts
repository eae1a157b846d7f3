/**
 * `@opencode-kit/core/sandbox` (Node only): the security boundary between an agent that writes
 * files and the host that trusts them — `Sandbox` scans, `SandboxFile` reads through a guarded
 * open, `UploadedFilesPrompt` copies user uploads in.
 */
export * from './Sandbox.js'
export * from './SandboxFile.js'
export * from './sandboxDirectoryFor.js'
export * from './UnsafeFileError.js'
export * from './UploadedFilesPrompt.js'
