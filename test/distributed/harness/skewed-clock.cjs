'use strict';
// Preloaded (`node --require`) into one process of a test cluster to make its
// wall clock run SKEW_MS milliseconds ahead of the others (behind if negative):
// `Date.now()`, `new Date()` and `Date()` are shifted; a Date built from a
// given time is not, and neither are timers, `performance.now()` or
// `process.hrtime()`, so the process waits as long as everyone else does but
// reads a different time, as a host whose NTP has drifted would.
//
// A preload rather than faketime (LD_PRELOAD=libfaketime.so FAKETIME=+60s):
// it works wherever Node runs (no native library, no Debian package, no
// macOS SIP in the way), shifts exactly what the engine reads (the JS clock:
// SystemClock is Date.now()), and leaves the monotonic clocks alone without
// having to know libfaketime's switches for them (libuv's timers and
// performance.now() run on CLOCK_MONOTONIC, which faketime shifts or freezes
// depending on its version and FAKETIME_DONT_FAKE_MONOTONIC). What it does
// not shift is time read by native code (OpenSSL, the pg and Redis servers,
// which are other processes anyway): nothing the engine's leases depend on.

const raw = process.env.SKEW_MS ?? '0';
const skewMs = Number(raw);
if (!Number.isFinite(skewMs)) throw new Error(`skewed-clock: SKEW_MS must be a number of milliseconds (got "${raw}")`);

const RealDate = Date;
const realNow = RealDate.now;
const now = () => realNow() + skewMs;

const SkewedDate = new Proxy(RealDate, {
  // `new Date()` is now; `new Date(value)` and `new Date(y, m, ...)` are that date, unshifted.
  construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
  // `Date()` called as a function returns the current time as a string.
  apply: () => new RealDate(now()).toString(),
  get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver)),
});
RealDate.prototype.constructor = SkewedDate;
globalThis.Date = SkewedDate;

// Measured, not assumed: the shifted clock against the process's monotonic one.
const measured = Math.round(Date.now() - (performance.timeOrigin + performance.now()));
process.stderr.write(
  `skewed-clock: Date runs ${measured} ms off the system clock (SKEW_MS=${skewMs}), pid ${process.pid}\n`,
);
