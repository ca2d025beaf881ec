/**
 * TLS for the daily-bill bench: whether the relay serves TLS itself (`relay serve --tls-cert FILE
 * --tls-key FILE`) and the vessel node can trust a private CA (`vessel serve --tls-ca FILE`), read
 * from their usage text so the bench runs on builds with and without TLS; and a self-signed
 * certificate for 127.0.0.1, made with openssl at run time.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { runCli } from '../support/processes.ts'

export interface TlsSupport {
  supported: boolean
  /** Why not, in words, when it is not. */
  reason: string
}

async function usageMentions(script: string, flag: string): Promise<boolean> {
  // `serve --help` prints the usage (or, on older builds, refuses the flag and prints it anyway).
  const r = await runCli(script, ['serve', '--help'])
  return `${r.stdout}\n${r.stderr}`.includes(flag)
}

export async function detectTls(): Promise<TlsSupport> {
  const [relay, vessel] = await Promise.all([
    usageMentions('relay/src/cli.ts', '--tls-cert'),
    usageMentions('vessel-node/src/cli.ts', '--tls-ca'),
  ])
  if (!relay) return { supported: false, reason: '`relay serve` has no --tls-cert on this build' }
  if (!vessel) return { supported: false, reason: '`vessel serve` has no --tls-ca on this build' }
  return { supported: true, reason: '' }
}

/** Writes `cert.pem` and `key.pem` (P-256, valid 2 days, for IP 127.0.0.1 and localhost) into `dir`. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe', timeout: 30_000 },
  )
  fs.chmodSync(key, 0o600)
  return { cert, key }
}
