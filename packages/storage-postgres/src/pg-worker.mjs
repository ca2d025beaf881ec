/**
 * The worker thread behind PostgresDatabase (postgres-database.ts). The stores are synchronous, so
 * the main thread posts one query on `port` and sleeps on `signal` (Atomics.wait) until this worker,
 * which owns the `pg` connection and its promises, has the answer. A second connection LISTENs for
 * other relays' change notices and posts them to the main thread's event loop (`parentPort`).
 *
 * Plain JavaScript, so Node runs it as it is, from the sources and from the relay bundle alike.
 */
import { parentPort, workerData } from 'node:worker_threads'
/* global Buffer, setTimeout */
import pg from 'pg'

const { connectionString, applicationName, statementTimeoutMs, connectTimeoutMs, channel, port, flag } =
  workerData
const signal = new Int32Array(flag)

// Counts and sums come back as bigint/numeric text; Tally's figures fit a double.
pg.types.setTypeParser(20, (v) => Number(v))
pg.types.setTypeParser(1700, (v) => Number(v))

const clientConfig = {
  connectionString,
  application_name: applicationName,
  statement_timeout: statementTimeoutMs,
  connectionTimeoutMillis: connectTimeoutMs,
}

/** The query connection, its generation (bumped on every new connection) and whether it died. */
let client = null
let generation = 0

async function queryClient() {
  if (client) return client
  const next = new pg.Client(clientConfig)
  next.on('error', () => {
    // The server went away between queries: the next query connects again.
    if (client === next) client = null
  })
  await next.connect()
  generation += 1
  client = next
  return client
}

function toPg(value) {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'bigint') return value.toString()
  return value === undefined ? null : value
}

async function answer(message) {
  if (message.op === 'close') {
    await client?.end().catch(() => undefined)
    await listener?.end().catch(() => undefined)
    client = null
    return { closed: true }
  }
  // Inside a transaction only the connection that began it may answer: a fresh one would run the
  // rest of the transaction's statements on their own and commit half of it.
  if (message.generation !== undefined && (client === null || message.generation !== generation)) {
    throw Object.assign(new Error('the connection to PostgreSQL was lost during a transaction'), {
      code: 'ECONNRESET',
    })
  }
  const c = await queryClient()
  if (message.op === 'connect') return { generation }
  const values = message.params.length > 0 ? message.params.map(toPg) : undefined
  const result = await c.query({ text: message.sql, values })
  const last = Array.isArray(result) ? result[result.length - 1] : result
  return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0, generation }
}

port.on('message', (message) => {
  answer(message).then(
    (reply) => send({ id: message.id, ...reply }),
    (err) => {
      if (client && isConnectionError(err)) {
        client.end().catch(() => undefined)
        client = null
      }
      send({ id: message.id, error: { message: err.message, code: err.code } })
    },
  )
})

function send(reply) {
  port.postMessage(reply)
  Atomics.store(signal, 0, 1)
  Atomics.notify(signal, 0)
}

function isConnectionError(err) {
  const code = String(err?.code ?? '')
  return (
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code === '53300' ||
    code.startsWith('E') ||
    /Connection terminated|connection timeout/i.test(String(err?.message))
  )
}

/** The LISTEN connection: reconnects on its own, and says so, since notices may have been missed. */
let listener = null
let listening = false
const LISTEN_RETRY_MS = 500

async function listen(resumed) {
  const next = new pg.Client(clientConfig)
  next.on('notification', (n) => parentPort.postMessage({ type: 'notice', payload: n.payload }))
  next.on('error', () => {
    if (listener !== next) return
    listener = null
    parentPort.postMessage({ type: 'notices-lost' })
    setTimeout(() => void listenLoop(true), LISTEN_RETRY_MS)
  })
  try {
    await next.connect()
    await next.query(`LISTEN "${channel}"`)
    listener = next
    if (resumed) parentPort.postMessage({ type: 'notices-resumed' })
  } catch {
    next.end().catch(() => undefined)
    setTimeout(() => void listenLoop(resumed), LISTEN_RETRY_MS)
  }
}

async function listenLoop(resumed) {
  if (listening) await listen(resumed)
}

parentPort.on('message', (message) => {
  if (message.type === 'listen' && !listening) {
    listening = true
    void listenLoop(false)
  } else if (message.type === 'stop') {
    listening = false
    listener?.end().catch(() => undefined)
    listener = null
  }
})
