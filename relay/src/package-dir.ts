/**
 * The relay package's directory. This module sits one level below it both as a source file (src/)
 * and inside the compiled bundle (dist/cli.mjs), so paths built from here hold in both.
 */
import { fileURLToPath } from 'node:url'

export const RELAY_DIR = fileURLToPath(new URL('..', import.meta.url))
