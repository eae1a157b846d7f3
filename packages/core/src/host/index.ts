export * from './Artifact.js'
export * from './createOpencodeKit.js'
export * from './describeTool.js'
export * from './Exchange.js'
export * from './errors.js'
export * from './Impostor.js'
export * from './MessageArtifacts.js'
export * from './Permissions.js'
export type * from './ports.js'
export type * from './SandboxSource.js'
export * from './Session.js'
export * from './ToolDisplay.js'
export * from './Transform.js'
export {
  CANCELLED_CONTENT,
  ERROR_FALLBACK_CONTENT,
  type PerSubject,
  runTurn,
  startTurn,
  TURN_DEFAULTS,
  type TurnArtifacts,
  type TurnClient,
  type TurnHandle,
  type TurnOptions,
  type TurnSession,
  type TurnStreamOptions,
  type TurnTuning,
} from './Turn.js'
export type * from './TurnEvent.js'
export { TURN_EVENT_VERSION } from './TurnEvent.js'
export type { TurnResult } from './TurnResult.js'
