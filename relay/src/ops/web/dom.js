// @ts-check
/* global document, localStorage, fetch */
/**
 * Small helpers of the operator dashboard: element building (text always goes in as text, never as
 * HTML), the JSON API with the stored ops token, and number and time formatting.
 */

export const TOKEN_KEY = 'tally.ops.token'

/**
 * Builds an element. `attrs` keys starting with `on` become listeners; `null`/`false` children are
 * skipped; strings become text nodes.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'value') /** @type {any} */ (el).value = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

/** @param {Node} el @param {any[]} children */
function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)))
  }
}

/**
 * An SVG element (charts are drawn as inline SVG).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v))
  append(el, children)
  return el
}

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {string} [field] */
  constructor(status, code, message, field) {
    super(message)
    this.status = status
    this.code = code
    /** The field the error is about, when the API named one. */
    this.field = field
  }
}

/** @returns {string | null} */
export const storedToken = () => localStorage.getItem(TOKEN_KEY)

/**
 * Calls the relay's JSON API with the stored token.
 * @param {string} method
 * @param {string} path under /api
 * @param {unknown} [body]
 * @param {string | null} [token]
 */
export async function api(method, path, body, token = storedToken()) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let data
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (!res.ok) {
    const err = data?.error ?? {}
    throw new ApiError(
      res.status,
      err.code ?? 'HTTP_' + res.status,
      err.message ?? `${res.status} ${res.statusText}`,
      err.field,
    )
  }
  return data
}

/** @param {number | null | undefined} n */
export function bytes(n) {
  if (n === null || n === undefined) return '—'
  if (n < 1000) return `${n} B`
  // KB, as the crew and shore apps spell it (decimal units, as the link's $/MB price is quoted).
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`
  return `${(n / 1e9).toFixed(2)} GB`
}

/** @param {number | null | undefined} n */
export const usd = (n) => (n === null || n === undefined ? '—' : `$${n.toFixed(n < 10 ? 2 : 0)}`)

/** @param {number | null | undefined} r */
export const pct = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(r < 0.1 ? 1 : 0)} %`)

/** @param {number | null | undefined} seconds */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—'
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`
  if (seconds < 86400 * 2) return `${(seconds / 3600).toFixed(1)} h`
  return `${(seconds / 86400).toFixed(1)} d`
}

/** @param {string | null | undefined} iso */
export function time(iso) {
  if (!iso) return '—'
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/** A badge. @param {string} text @param {'ok'|'bad'|'warn'|''} [kind] */
export const badge = (text, kind = '') => h('span', { class: `badge ${kind}` }, text)

/** A labelled figure card. @param {string} label @param {any} value */
export const figure = (label, value) =>
  h('div', { class: 'figure' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value))

/**
 * "1 vessel", "2 vessels".
 * @param {number} n @param {string} one @param {string} [many]
 */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** `HH:MM` of an ISO time (UTC), with the date when it is not today. @param {string | null | undefined} iso */
export function clock(iso) {
  if (!iso) return '—'
  const today = new Date().toISOString().slice(0, 10)
  return iso.slice(0, 10) === today ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}

/**
 * A labelled input with a place for its error right beside it (`role="alert"`, tied to the input by
 * aria-describedby), so an error reads next to the field and the typed value stays.
 * @param {string} name @param {string} label @param {string | number} value
 */
export function field(name, label, value) {
  const errorId = `error-${name}`
  return h(
    'label',
    { class: 'field' },
    label,
    h('input', { name, inputmode: 'decimal', value, 'aria-describedby': errorId }),
    h('span', { class: 'field-error', id: errorId, role: 'alert' }),
  )
}

/** Shows `message` beside the field `name` of `form` (empty clears it). @param {HTMLFormElement} form @param {string} name @param {string} message */
export function showFieldError(form, name, message) {
  const el = form.querySelector(`#error-${name}`)
  if (el) el.textContent = message
  const input = form.querySelector(`input[name="${name}"]`)
  if (input) input.setAttribute('aria-invalid', message ? 'true' : 'false')
}

/** Clears every field error of `form`. @param {HTMLFormElement} form */
export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = ''
  for (const el of form.querySelectorAll('input[aria-invalid]')) el.setAttribute('aria-invalid', 'false')
}
