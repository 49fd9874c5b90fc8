// The worker's own lines that wait while a long line is being written into the log (SPEC 7). Pure.

/**
 * How many wait at most. A long line may stream for as long as the service likes, so the wait is
 * bounded; the worker says a few lines a run, and 32 is room for far more than that.
 */
export const MAX_WAITING = 32;

/**
 * Lines may not go into the file between the pieces of a line, and the long line is never cut
 * for them: when more than MAX_WAITING wait, the oldest are dropped and counted, as on a full
 * disk, and a line saying how many comes before the rest.
 */
export class WaitingLines {
  private messages: string[] = [];
  private dropped = 0;

  constructor(private readonly max = MAX_WAITING) {}

  add(message: string): void {
    this.messages.push(message);
    if (this.messages.length > this.max) {
      this.messages.shift();
      this.dropped++;
    }
  }

  /** The waiting messages in order, after the notice of the dropped ones; nothing waits afterwards. */
  take(): string[] {
    const taken = this.dropped ? [`${this.dropped} lines dropped: too many came while a long line was written`, ...this.messages] : this.messages;
    this.messages = [];
    this.dropped = 0;
    return taken;
  }
}
