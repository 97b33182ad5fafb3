/** What a chaos-style spec did and saw, in seconds since `start()`; printed when it ends. */
export class Timeline {
  readonly entries: string[] = [];
  private t0 = Date.now();

  start(): void {
    this.t0 = Date.now();
  }

  mark(what: string): void {
    this.entries.push(`${((Date.now() - this.t0) / 1000).toFixed(1)}s ${what}`);
  }

  /** Prints the entries under `title`, if there are any. */
  print(title: string): void {
    if (this.entries.length) console.log(`${title}:\n${this.entries.join('\n')}`);
  }
}
