import type { ScoredSample } from './recent-scored.ts';

/** One subscriber's view of the feed: what arrived since it last drained, and what it lost. */
export interface FeedSubscription {
  /** Takes the queued samples (oldest first) and the number dropped since the last drain. */
  drain(): { samples: ScoredSample[]; dropped: number };
  close(): void;
}

export interface DecisionFeedOptions {
  /** Samples a subscriber may have queued; beyond that the newest are dropped and counted. */
  queueLimit?: number;
  /** Subscribers at once; one more is refused (the caller answers 503). */
  maxSubscribers?: number;
}

export interface DecisionFeed {
  /** Called by the scorer for every scored transaction: queues it for each subscriber. */
  publish(sample: ScoredSample): void;
  /**
   * `wake` is called (at most once until the next drain) when samples are waiting; it runs
   * after the publishing scoring call has returned, never inside it. Null when full.
   */
  subscribe(wake: () => void): FeedSubscription | null;
  subscribers(): number;
}

export const DEFAULT_FEED_QUEUE_LIMIT = 1000;
export const DEFAULT_FEED_MAX_SUBSCRIBERS = 64;

interface Subscriber {
  queue: ScoredSample[];
  dropped: number;
  woken: boolean;
  wake: () => void;
}

/**
 * In-process publish/subscribe of scored transactions for the console's live decisions.
 * Publishing costs one array push per subscriber and nothing without one; a subscriber that
 * does not drain (a slow client) loses samples beyond its queue and is told how many, so it
 * can never hold memory or slow scoring down.
 */
export function createDecisionFeed(opts: DecisionFeedOptions = {}): DecisionFeed {
  const queueLimit = opts.queueLimit ?? DEFAULT_FEED_QUEUE_LIMIT;
  const maxSubscribers = opts.maxSubscribers ?? DEFAULT_FEED_MAX_SUBSCRIBERS;
  const subs = new Set<Subscriber>();

  const wakeLater = (s: Subscriber): void => {
    if (s.woken) return;
    s.woken = true;
    setImmediate(() => {
      if (subs.has(s)) s.wake();
    });
  };

  return {
    publish(sample) {
      if (subs.size === 0) return;
      for (const s of subs) {
        if (s.queue.length < queueLimit) s.queue.push(sample);
        else s.dropped += 1;
        wakeLater(s);
      }
    },
    subscribe(wake) {
      if (subs.size >= maxSubscribers) return null;
      const s: Subscriber = { queue: [], dropped: 0, woken: false, wake };
      subs.add(s);
      return {
        drain() {
          const out = { samples: s.queue, dropped: s.dropped };
          s.queue = [];
          s.dropped = 0;
          s.woken = false;
          return out;
        },
        close() {
          subs.delete(s);
        },
      };
    },
    subscribers: () => subs.size,
  };
}
