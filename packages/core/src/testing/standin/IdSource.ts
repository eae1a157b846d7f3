/**
 * Ids shaped like OpenCode's (`ses_…`, `msg_…`, `prt_…`, `evt_…`): a prefix, then a sortable
 * counter and a random tail, so ids of one stand-in never collide and sort by creation.
 */
export class IdSource {
  private counter = 0
  private readonly tail = Math.random().toString(36).slice(2, 8)

  /** The next id with this prefix. */
  next(prefix: string): string {
    this.counter++
    return `${prefix}_${Date.now().toString(16)}${String(this.counter).padStart(6, '0')}${this.tail}`
  }
}
