export * from './Clock.js'
export * from './ContentType.js'
export * from './ErrorReporter.js'
export * from './errors.js'
