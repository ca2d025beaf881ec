/**
 * The stores write parameters as better-sqlite3 takes them: `?` in order, or `@name` with one
 * object. PostgreSQL numbers them (`$1`). This rewrites a statement once, outside quoted text and
 * comments, and says how to turn a call's arguments into PostgreSQL's values.
 */

export interface TranslatedSql {
  text: string
  /** The names of `@name` parameters, by position; empty for `?` parameters. */
  names: string[]
  /** How many `?` parameters. */
  positional: number
}

const NAME_START = /[A-Za-z_]/
const NAME_PART = /[A-Za-z0-9_]/

export function translatePlaceholders(sql: string): TranslatedSql {
  let text = ''
  const names: string[] = []
  let positional = 0
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1)
      const stop = end < 0 ? sql.length : end
      text += sql.slice(i, stop + 1)
      i = stop
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      const stop = end < 0 ? sql.length : end
      text += sql.slice(i, stop)
      i = stop - 1
    } else if (c === '?') {
      positional += 1
      text += `$${positional}`
    } else if (c === '@' && NAME_START.test(sql[i + 1] ?? '')) {
      let j = i + 1
      while (j < sql.length && NAME_PART.test(sql[j]!)) j++
      const name = sql.slice(i + 1, j)
      let index = names.indexOf(name)
      if (index < 0) index = names.push(name) - 1
      text += `$${index + 1}`
      i = j - 1
    } else text += c
  }
  if (positional > 0 && names.length > 0) throw new Error(`mixed ? and @name parameters in: ${sql}`)
  return { text, names, positional }
}

/** The values for one call, in `$n` order, checked the way better-sqlite3 checks them. */
export function bindValues(sql: TranslatedSql, params: unknown[]): unknown[] {
  if (sql.names.length > 0) {
    const object = params[0]
    if (params.length !== 1 || typeof object !== 'object' || object === null)
      throw new TypeError(`statement takes named parameters (${sql.names.join(', ')})`)
    return sql.names.map((name) => {
      if (!(name in object)) throw new RangeError(`Missing named parameter "${name}"`)
      return (object as Record<string, unknown>)[name]
    })
  }
  const values = params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params
  if (values.length !== sql.positional)
    throw new RangeError(
      `Too ${values.length < sql.positional ? 'few' : 'many'} parameter values were provided`,
    )
  return values
}
