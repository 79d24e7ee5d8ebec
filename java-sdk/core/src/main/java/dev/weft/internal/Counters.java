package dev.weft.internal;

import java.util.concurrent.atomic.AtomicLong;
import javax.annotation.Nullable;

/**
 * The collector's own counters. The collector thread is the only writer of the first four
 * (published with a release store, so no read-modify-write on the hot path); the export
 * counters are added to from exporter callback threads.
 */
public final class Counters {
  private final AtomicLong spansDrained = new AtomicLong();
  private final AtomicLong corruptRecords = new AtomicLong();
  private final AtomicLong unknownRecords = new AtomicLong();
  private final AtomicLong queueOverflow = new AtomicLong();
  private final AtomicLong spansExported = new AtomicLong();
  private final AtomicLong exportFailures = new AtomicLong();
  private final AtomicLong exportRetries = new AtomicLong();
  private final AtomicLong redelivered = new AtomicLong();
  @Nullable private volatile String lastExportError;
  private volatile long lastExportErrorEpochMillis;

  /** Single-writer add: only the collector thread calls this for a given counter. */
  private static void add(AtomicLong counter, long delta) {
    if (delta != 0) {
      counter.setRelease(counter.getPlain() + delta);
    }
  }

  /** Adds one ring pass's totals. Collector thread only (single writer). */
  public void drained(long spans, long corrupt, long unknown) {
    add(spansDrained, spans);
    add(corruptRecords, corrupt);
    add(unknownRecords, unknown);
  }

  /**
   * Adds spans read again from {@code [head, read_position)} left by an earlier reader: they
   * may have been exported already. Collector thread only.
   */
  public void redelivered(long spans) {
    add(redelivered, spans);
  }

  /** Adds the spans of a failed export that will be retried. Collector thread only. */
  public void exportRetried(long spans) {
    add(exportRetries, spans);
  }

  /** Counts one span dropped because the export queue was full. Collector thread only. */
  public void queueOverflowed() {
    add(queueOverflow, 1);
  }

  /** Adds spans the exporter accepted; any thread (exporter callbacks). */
  public void exported(long spans) {
    spansExported.addAndGet(spans);
  }

  /** Adds spans that failed to export or were given up at close; any thread. */
  public void exportFailed(long spans) {
    exportFailures.addAndGet(spans);
  }

  /** Records the latest export error; any thread. */
  public void exportError(String error, long epochMillis) {
    lastExportErrorEpochMillis = epochMillis;
    lastExportError = error;
  }

  @Nullable
  public String lastExportError() {
    return lastExportError;
  }

  public long lastExportErrorEpochMillis() {
    return lastExportErrorEpochMillis;
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

  public long exportRetries() {
    return exportRetries.getAcquire();
  }

  public long redelivered() {
    return redelivered.getAcquire();
  }
}
