// Types of scripts/compatibility.mjs for the docs project's check.
export declare const SCENARIOS: string[]
export declare function scenarioOf(title: string): string | undefined
export declare function renderCompatibility(data: {
  generatedAt: string
  pinned: string
  lines: Record<string, { line: string; scenarios: Record<string, string> }>
}): string
