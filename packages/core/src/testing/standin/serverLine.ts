/**
 * How the stand-in plays one supported OpenCode line: the differences recorded in
 * packages/core/test/fixtures/opencode-<version>/ (docs/compatibility.md, "What differs"), so code
 * under test meets each line's quirks without a real server.
 */
export interface ServerLine {
  /** The release `GET /global/health` reports. */
  version: string
  /** `GET /event` ends right after `server.connected` (1.14.43–1.14.48); `/global/event` works. */
  eventEndsAfterConnected: boolean
  /** A prompt to a missing session answers 204 and reports `UnknownError: NotFoundError` on the stream (1.14). */
  promptToMissingSessionAccepted: boolean
  /** `session.next.agent.switched` / `model.switched` on the stream when a prompt starts (1.14, 1.15). */
  sendsSessionNextSwitches: boolean
  /** `permission.asked` carries `metadata.command` (1.17+). */
  permissionCommandMetadata: boolean
  /** Sessions carry `cost` and `tokens` (1.15+). */
  sessionUsage: boolean
}

/** The lines the stand-in can play, by line (`'1.15'`); each reports the newest release the matrix tests. */
export const SERVER_LINES = {
  '1.14': {
    version: '1.14.48',
    eventEndsAfterConnected: true,
    promptToMissingSessionAccepted: true,
    sendsSessionNextSwitches: true,
    permissionCommandMetadata: false,
    sessionUsage: false,
  },
  '1.15': {
    version: '1.15.13',
    eventEndsAfterConnected: false,
    promptToMissingSessionAccepted: false,
    sendsSessionNextSwitches: true,
    permissionCommandMetadata: false,
    sessionUsage: true,
  },
  '1.17': {
    version: '1.17.19',
    eventEndsAfterConnected: false,
    promptToMissingSessionAccepted: false,
    sendsSessionNextSwitches: false,
    permissionCommandMetadata: true,
    sessionUsage: true,
  },
  '1.18': {
    version: '1.18.33',
    eventEndsAfterConnected: false,
    promptToMissingSessionAccepted: false,
    sendsSessionNextSwitches: false,
    permissionCommandMetadata: true,
    sessionUsage: true,
  },
} as const satisfies Record<string, ServerLine>

/** A line the stand-in can play: `'1.14'`, `'1.15'`, `'1.17'` or `'1.18'` (the default). */
export type ServerLineName = keyof typeof SERVER_LINES
