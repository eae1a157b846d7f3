import { describe, expect, it } from 'vitest'
import {
  decodeMessageRow,
  encodeMessageFields,
  type MessageColumns,
  toRowId,
} from '../../src/adapter/index.js'

const names: MessageColumns = {
  id: 'id',
  status: 'status',
  content: 'body',
  reasoning: null,
  parts: 'parts_json',
  toolCalls: 'tool_calls_json',
  cost: 'cost',
  inputTokens: 'input_tokens',
  outputTokens: null,
  cacheReadTokens: null,
  cacheWriteTokens: null,
  lastActivityAt: 'last_activity_at',
  opencodeSessionId: 'opencode_session_id',
  opencodeMessageId: null,
  requests: 'requests_json',
  updatedAt: null,
}

describe('the row codec (shared by every ORM adapter)', () => {
  it('decodes JSON text or parsed JSON, numeric strings, and any date shape; absent fields read null', () => {
    const raw: Record<string, unknown> = {
      id: '7',
      status: 'completed',
      body: 'Hi',
      parts_json: '[{"type":"text","content":"Hi"}]',
      tool_calls_json: [{ type: 'tool', tool: 'write' }],
      cost: '0.001200',
      input_tokens: '12',
      last_activity_at: 1795550000000,
      opencode_session_id: 'ses_1',
      requests_json: '[{"id":"que_1","kind":"question","status":"pending"}]',
    }
    expect(decodeMessageRow((name) => raw[name], names)).toEqual({
      id: '7',
      status: 'completed',
      content: 'Hi',
      reasoning: null,
      parts: [{ type: 'text', content: 'Hi' }],
      toolCalls: [{ type: 'tool', tool: 'write' }],
      cost: 0.0012,
      inputTokens: 12,
      outputTokens: null,
      cacheReadTokens: null,
      cacheWriteTokens: null,
      lastActivityAt: new Date(1795550000000),
      opencodeSessionId: 'ses_1',
      opencodeMessageId: null,
      requests: [{ id: 'que_1', kind: 'question', status: 'pending' }],
    })
    const text = decodeMessageRow(
      (name) => ({ last_activity_at: '2026-11-24T10:00:00Z', parts_json: '{"x":1}' })[name],
      names,
    )
    expect(text.lastActivityAt).toEqual(new Date('2026-11-24T10:00:00Z'))
    expect(text.parts).toBeNull()
    expect(toRowId(42n)).toBe(42)
    expect(toRowId(2n ** 64n)).toBe('18446744073709551616')
  })

  it('encodes to the host names, drops undefined and absent fields, JSON as text only where asked', () => {
    const fields = {
      content: 'Hi',
      reasoning: 'dropped',
      parts: [{ type: 'text' }],
      toolCalls: null,
      cost: undefined,
    }
    expect(encodeMessageFields(fields, names)).toEqual({
      body: 'Hi',
      parts_json: [{ type: 'text' }],
      tool_calls_json: null,
    })
    expect(encodeMessageFields(fields, names, () => true)).toEqual({
      body: 'Hi',
      parts_json: '[{"type":"text"}]',
      tool_calls_json: null,
    })
  })
})
