export * from './probeApi.js'
export {
  type PromptDelivery,
  V2Client,
  type V2EventsOptions,
  type V2Http,
  type V2PromptInput,
} from './V2Client.js'
export { V2EventMapper, type V2EventMapperOptions } from './V2EventMapper.js'
export type * from './v2Types.js'
