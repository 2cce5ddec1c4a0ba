/**
 * Group commit: callers submit items one at a time; whenever no write is running, every item
 * waiting is written in one go (one INSERT, one write + fsync), and each caller's promise
 * settles with that write. Under load the batch grows by itself (what arrives during a write
 * waits for the next), and an idle system writes a lone item at once: no timer, no added
 * latency.
 */
export interface GroupCommit<T> {
  submit(item: T): Promise<void>;
  /** Resolves when everything submitted so far has been written (or has failed). */
  idle(): Promise<void>;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createGroupCommit<T>(
  write: (items: T[]) => Promise<void>,
  maxBatch = 1000,
): GroupCommit<T> {
  let queue: Array<Waiting<T>> = [];
  let running: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        await write(batch.map((w) => w.item));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  }

  function kick(): void {
    if (running !== undefined) return;
    running = drain().finally(() => {
      running = undefined;
      // Items submitted between drain's last check and this callback start the next round.
      if (queue.length > 0) kick();
    });
  }

  return {
    submit(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        kick();
      });
    },
    async idle() {
      while (running !== undefined) await running;
    },
  };
}
