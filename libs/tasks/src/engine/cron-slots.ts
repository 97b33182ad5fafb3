import { CronExpressionParser } from 'cron-parser';
import type { FieldIssue } from './input-validation';

/**
 * The cron library behind schedules (cron-parser, on luxon's time zones),
 * behind one small surface. Loaded only when a schedule is used (see
 * `loadCronSlots`): it costs more to import than the rest of the kernel.
 */

const ALIASES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);

/** A cron expression or time zone that cannot be used; `issue` names the field. */
export class CronError extends Error {
  constructor(readonly issue: FieldIssue) {
    super(`${issue.field}: ${issue.message}`);
    this.name = 'CronError';
  }
}

/** The slots of one cron expression in one time zone, as epoch milliseconds. */
export class CronSlots {
  private constructor(
    readonly cron: string,
    readonly timezone: string,
  ) {}

  /**
   * Checks the expression and the time zone; throws a {@link CronError}.
   * The time zone comes back in its canonical spelling (`Europe/Paris`).
   */
  static parse(cron: string, timezone: string): CronSlots {
    const zone = canonicalTimeZone(timezone);
    const expression = typeof cron === 'string' ? cron.trim() : '';
    const fields = expression.split(/\s+/);
    const alias = fields.length === 1 && ALIASES.has(expression.toLowerCase());
    // The library reads a short expression as if fields were left out: refuse it rather than guess.
    if (!alias && fields.length !== 5 && fields.length !== 6) {
      throw new CronError({
        field: 'cron',
        message: `"${clip(expression)}" has ${expression ? fields.length : 0} field(s): give 5 (minute first) or 6 (seconds first), or ${[...ALIASES].join(', ')}`,
      });
    }
    // H picks a random value per parse: two processes would disagree on the slots.
    if (/(^|[\s,])H/i.test(expression)) {
      throw new CronError({ field: 'cron', message: 'H (hashed values) is not supported: give the value' });
    }
    const slots = new CronSlots(expression, zone);
    try {
      slots.iterator(0).next();
    } catch (error) {
      throw new CronError({ field: 'cron', message: `"${clip(expression)}": ${(error as Error).message}` });
    }
    return slots;
  }

  /** The first slot strictly after `after`; null when there is none (the library's range ends). */
  next(after: number): number | null {
    try {
      return this.iterator(after).next().getTime();
    } catch {
      return null;
    }
  }

  /**
   * Slots in (`after`, `until`], oldest first, at most `limit`: the path the
   * scheduler walks, slot by slot, so every process sees the same slots.
   */
  between(after: number, until: number, limit: number): number[] {
    const out: number[] = [];
    const it = this.iterator(after);
    while (out.length < limit) {
      let slot: number;
      try {
        slot = it.next().getTime();
      } catch {
        break;
      }
      if (slot > until) break;
      if (slot > (out.at(-1) ?? after)) out.push(slot);
    }
    return out;
  }

  /**
   * The latest slot in (`after`, `at`], or null: where a long gap ends,
   * found without walking the whole gap. Two steps back from `at`, then
   * forward: in the repeated hour of an autumn change, stepping back may land
   * on the second pass of an hour that walking forward never yields (a
   * fixed-hour slot runs once, at its first pass); the forward walk keeps to
   * the slots `between` yields.
   */
  latest(after: number, at: number): number | null {
    let from = after;
    try {
      const back = this.iterator(at + 1);
      back.prev();
      from = Math.max(after, back.prev().getTime() - 1);
    } catch {
      // Fewer than two slots before `at`: walk from `after`.
    }
    let latest: number | null = null;
    for (;;) {
      const batch = this.between(from, at, 1000);
      if (batch.length === 0) return latest !== null && latest > after ? latest : null;
      latest = batch.at(-1)!;
      from = latest;
    }
  }

  private iterator(from: number) {
    return CronExpressionParser.parse(this.cron, { currentDate: new Date(from), tz: this.timezone });
  }
}

/** The IANA name as the runtime spells it, or a {@link CronError} naming `timezone`. */
export function canonicalTimeZone(timezone: string): string {
  if (typeof timezone !== 'string' || timezone.trim() === '') {
    throw new CronError({ field: 'timezone', message: 'must be an IANA time zone such as Europe/Paris or UTC' });
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timezone.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new CronError({
      field: 'timezone',
      message: `"${clip(timezone)}" is not an IANA time zone (such as Europe/Paris or UTC)`,
    });
  }
}

function clip(value: string, max = 64): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
