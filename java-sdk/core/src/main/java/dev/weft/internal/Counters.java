package dev.weft.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The collector's own counters. The collector thread is the only writer of the first four
 * (published with a release store, so no read-modify-write on the hot path); the export
 * counters are added to from exporter callback threads.
 */
public final class Counters {
  final AtomicLong spansDrained = new AtomicLong();
  final AtomicLong corruptRecords = new AtomicLong();
  final AtomicLong unknownRecords = new AtomicLong();
  final AtomicLong queueOverflow = new AtomicLong();
  final AtomicLong spansExported = new AtomicLong();
  final AtomicLong exportFailures = new AtomicLong();

  /** Single-writer add: only the collector thread calls this for a given counter. */
  static void add(AtomicLong counter, long delta) {
    if (delta != 0) {
      counter.setRelease(counter.getPlain() + delta);
    }
  }

  public long spansDrained() {
    return spansDrained.getAcquire();
  }

  public long corruptRecords() {
    return corruptRecords.getAcquire();
  }

  public long unknownRecords() {
    return unknownRecords.getAcquire();
  }

  public long queueOverflow() {
    return queueOverflow.getAcquire();
  }

  public long spansExported() {
    return spansExported.get();
  }

  public long exportFailures() {
    return exportFailures.get();
  }
}
