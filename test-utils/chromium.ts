// Where the browser tests find Chromium: CHROMIUM_PATH, or Debian's package (installed by
// scripts/test.mjs when missing; browser downloads are not possible here).
import { existsSync } from 'node:fs'

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  const found = candidates.find((path): path is string => Boolean(path) && existsSync(path as string))
  if (!found) throw new Error("Chromium not found: install Debian's `chromium` package or set CHROMIUM_PATH")
  return found
}
