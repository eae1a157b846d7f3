/** @deprecated Moved to `support/Clock.ts`; this re-export goes once every import has moved. */
export { type Clock, systemClock } from '../support/Clock.js'
