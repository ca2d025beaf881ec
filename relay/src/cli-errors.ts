/** Errors of the relay's command line: a usage error exits 2 with the usage; a CliError exits 1. */

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>

/** Bad arguments: the message, then the usage of the command. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message)
  }
}

/** The arguments were well formed but the command cannot do what was asked (a sentence says why). */
export class CliError extends Error {}
