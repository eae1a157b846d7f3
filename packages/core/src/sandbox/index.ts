/** `@opencode-kit/core/sandbox`: Node-only hardened filesystem access for agent-written files. */
export {}
