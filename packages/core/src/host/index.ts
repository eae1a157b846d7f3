export * from './Artifact.js'
export * from './errors.js'
export type * from './ports.js'
export type * from './SandboxSource.js'
