export * from './chunks.ts'
export * from './container-index.ts'
export * from './container-store.ts'
export * from './link-replica.ts'
