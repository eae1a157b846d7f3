import diagnostics_channel from 'node:diagnostics_channel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { reportError } from '../../src/support/reportError.js'
import { trace } from '../../src/support/trace.js'
import { warnOnConsole } from '../../src/support/warnOnConsole.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('reportError', () => {
  it('hands the error and context to the hook unchanged', () => {
    const hook = vi.fn()
    const error = new Error('x')
    reportError(hook, error, { feature: 'opencode.test', sessionId: 'ses_1' })
    expect(hook).toHaveBeenCalledWith(error, { feature: 'opencode.test', sessionId: 'ses_1' })
  })

  it('without a hook: one concise console.warn line with the feature, the error and the ids (never silent)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    reportError(undefined, new TypeError('bad frame'), {
      feature: 'opencode.stream',
      sessionId: 'ses_1',
      payload: { big: 'x'.repeat(1000) },
    })
    expect(warn).toHaveBeenCalledOnce()
    expect(warn.mock.calls[0]).toEqual([
      '[opencode-kit] opencode.stream: TypeError: bad frame (sessionId=ses_1)',
    ])
  })

  it('a hook that throws is contained (console.error), never thrown', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() =>
      reportError(
        () => {
          throw new Error('tracker down')
        },
        new Error('x'),
        { feature: 'opencode.test' },
      ),
    ).not.toThrow()
    expect(log).toHaveBeenCalledOnce()
  })

  it('a hook whose promise rejects is contained too: no unhandled rejection', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      reportError(async () => Promise.reject(new Error('redis down')), new Error('x'), {
        feature: 'opencode.test',
      })
      await new Promise((resolve) => setTimeout(resolve, 10))
      expect(unhandled).not.toHaveBeenCalled()
      expect(log).toHaveBeenCalledOnce()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })
})

describe('warnOnConsole', () => {
  it('names non-Error values', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    warnOnConsole({ code: 42 }, { feature: 'opencode.test' })
    expect(warn.mock.calls[0]).toEqual(['[opencode-kit] opencode.test: non-error value: {"code":42}'])
  })
})

describe('trace', () => {
  it('publishes opencode.<name> on node:diagnostics_channel and calls the hook with the bare name', () => {
    const published: unknown[] = []
    const listener = (payload: unknown) => published.push(payload)
    diagnostics_channel.subscribe('opencode.test_event', listener)
    const hook = vi.fn()
    try {
      trace(hook, 'test_event', { sessionId: 'ses_1' })
    } finally {
      diagnostics_channel.unsubscribe('opencode.test_event', listener)
    }
    expect(published).toEqual([{ sessionId: 'ses_1' }])
    expect(hook).toHaveBeenCalledWith('test_event', { sessionId: 'ses_1' })
  })

  it('a throwing or rejecting hook is reported through onError, never thrown', async () => {
    const reports: unknown[] = []
    const onError = (error: unknown) => void reports.push(error)
    expect(() =>
      trace(
        () => {
          throw new Error('sync')
        },
        'x',
        {},
        onError,
      ),
    ).not.toThrow()
    trace(async () => Promise.reject(new Error('async')), 'x', {}, onError)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(reports.map((e) => (e as Error).message)).toEqual(['sync', 'async'])
  })
})
