import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorReporter, reportSafely } from '../../src/index.js'

afterEach(() => {
  ErrorReporter.adapter = undefined
})

describe('ErrorReporter (host-layer §2.1)', () => {
  it('error_reporter_test 1: with no adapter, report returns undefined and does not throw', () => {
    expect(ErrorReporter.report(new Error('x'))).toBeUndefined()
  })

  it('error_reporter_test 2: the adapter is called once with the same error and options', () => {
    const adapter = vi.fn(() => 'sentinel')
    ErrorReporter.adapter = adapter
    const error = new Error('x')
    ErrorReporter.report(error, { severity: 'error', context: { foo: 1 } })
    expect(adapter).toHaveBeenCalledTimes(1)
    expect(adapter).toHaveBeenCalledWith(error, { severity: 'error', context: { foo: 1 } })
  })

  it('error_reporter_test 3: without options the adapter still gets an error and empty options', () => {
    const adapter = vi.fn()
    ErrorReporter.adapter = adapter
    ErrorReporter.report(new Error('x'))
    expect(adapter).toHaveBeenCalledWith(expect.any(Error), {})
  })

  it('error_reporter_test 4: an adapter that throws propagates', () => {
    ErrorReporter.adapter = () => {
      throw new Error('adapter blew up')
    }
    expect(() => ErrorReporter.report(new Error('x'))).toThrow('adapter blew up')
  })

  it("error_reporter_test 5: report returns exactly the adapter's return value", () => {
    const sentinel = { same: 'object' }
    ErrorReporter.adapter = () => sentinel
    expect(ErrorReporter.report(new Error('x'))).toBe(sentinel)
  })

  it('defect 5: reportSafely never throws, even when the adapter does', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    ErrorReporter.adapter = () => {
      throw new Error('tracker down')
    }
    expect(() => reportSafely(new Error('x'), { handled: true })).not.toThrow()
    expect(log).toHaveBeenCalledOnce()
    log.mockRestore()
  })
})
