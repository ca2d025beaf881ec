/* global process */
// Preload (`--import`) that moves this process's wall clock by TALLY_CLOCK_SKEW_MS milliseconds:
// the reliability suite runs a vessel node whose clock is a day ahead or behind. Timers are not
// affected (they run on the monotonic clock); only Date is.
const skew = Number(process.env.TALLY_CLOCK_SKEW_MS ?? 0)
if (Number.isFinite(skew) && skew !== 0) {
  const RealDate = Date
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew)
      else super(...args)
    }
    static now() {
      return RealDate.now() + skew
    }
  }
  globalThis.Date = SkewedDate
}
