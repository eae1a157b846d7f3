import { describe, expect, it } from 'vitest'
import { UniqueViolationError } from '../src/adapter/index.js'
import { OpencodeError, ServerError, SessionNotFoundError } from '../src/index.js'

describe('OpencodeError hierarchy', () => {
  it('keeps code, status and body, and names the subclass', () => {
    const error = new SessionNotFoundError('Session not found: ses_x', {
      status: 404,
      body: { name: 'NotFoundError' },
    })
    expect(error).toBeInstanceOf(OpencodeError)
    expect(error.name).toBe('SessionNotFoundError')
    expect(error.code).toBe('session_not_found')
    expect(error.status).toBe(404)
    expect(error.body).toEqual({ name: 'NotFoundError' })
  })

  it('gives every subclass its own code', () => {
    expect(new ServerError('x').code).toBe('server')
    expect(new UniqueViolationError('dup').code).toBe('unique_violation')
  })
})
