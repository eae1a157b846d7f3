export * from './OpencodeStandIn.js'
export * from './Scenario.js'
export * from './serverLine.js'
export * from './startOpencodeStandIn.js'
