interface Waiter {
  readonly target: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Who waits for the stream to be drained: a waiter is resolved by the first idle poll round that started
 * after it began waiting (only such a round can have seen every record written before).
 */
export class IdleWaiters {
  /** Poll rounds started. */
  round = 0;
  /** The last round that found nothing to do (0: none yet). */
  lastIdleRound = 0;
  private readonly waiters = new Set<Waiter>();

  /** Starts the next poll round. */
  startRound(): void {
    this.round++;
  }

  /** The current round found nothing to do: resolves its waiters. */
  roundWasIdle(): void {
    this.lastIdleRound = this.round;
    for (const waiter of this.waiters) if (waiter.target <= this.round) waiter.resolve();
  }

  wait(timeoutMs: number, describePending: () => string): Promise<void> {
    const target = this.round + 1;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(error);
        },
      };
      const timer = setTimeout(
        () => waiter.reject(new Error(`Stream driver not idle after ${timeoutMs} ms: ${describePending()}`)),
        timeoutMs,
      );
      this.waiters.add(waiter);
    });
  }

  rejectAll(message: string): void {
    for (const waiter of this.waiters) waiter.reject(new Error(message));
  }

  describe(): string {
    return this.lastIdleRound === 0
      ? 'no idle poll yet'
      : `last idle poll was round ${this.lastIdleRound} of ${this.round}`;
  }
}
