/** `@opencode-kit/core/testing`: the OpenCode stand-in, in-memory ports and the adapter contract suites. */
export {}
