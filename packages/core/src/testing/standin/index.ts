export * from './OpencodeStandIn.js'
export * from './Scenario.js'
export * from './standInHandlers.js'
export * from './startOpencodeStandIn.js'
