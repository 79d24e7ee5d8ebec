package dev.weft;

import java.util.Optional;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * A snapshot of the collector's counters and of the native side's counters (summed over all
 * slots, and over earlier segments at the same path).
 *
 * <p>Accounting, once the writer is quiescent and the collector idle: every span a native thread
 * ended while sampled is either committed to a ring or dropped natively
 * ({@link #droppedRingFull()}, {@link #droppedReentrant()}, {@link #droppedTooDeep()},
 * {@link #droppedNoSlot()}); every committed span is drained ({@link #spansDrained()}) or counted
 * corrupt; every drained span is exported ({@link #spansExported()}), failed
 * ({@link #exportFailures()}) or dropped on a full queue ({@link #queueOverflow()}). A failed
 * export is retried ({@link #exportRetries()} counts the spans of each failed attempt); only at
 * close are spans given up. Spans re-read after a collector died ({@link #redelivered()}) are
 * drained and exported again: they may have arrived before. Spans ended after a clean exit's
 * fence are dropped natively ({@link #droppedShutdown()}).
 *
 * <p>One consistent snapshot: the counters are read together by the collector thread, so
 * {@code spansExported + exportFailures <= spansDrained <= spansCommitted} in every snapshot. It
 * is as of the collector's last pass (at most a segment poll interval old).
 */
@Immutable
public final class WeftStats {
  private final long spansCommitted;
  private final long spansDrained;
  private final long spansExported;
  private final long exportFailures;
  private final long queueOverflow;
  private final long corruptRecords;
  private final long unknownRecords;
  private final long droppedRingFull;
  private final long droppedReentrant;
  private final long droppedTooDeep;
  private final long droppedNoSlot;
  private final long droppedShutdown;
  private final long redelivered;
  private final long exportRetries;
  @Nullable private final String lastExportError;
  private final long lastExportErrorEpochMillis;

  WeftStats(long spansCommitted, long spansDrained, long spansExported, long exportFailures,
      long queueOverflow, long corruptRecords, long unknownRecords, long droppedRingFull,
      long droppedReentrant, long droppedTooDeep, long droppedNoSlot, long droppedShutdown,
      long redelivered, long exportRetries,
      @Nullable String lastExportError, long lastExportErrorEpochMillis) {
    this.spansCommitted = spansCommitted;
    this.spansDrained = spansDrained;
    this.spansExported = spansExported;
    this.exportFailures = exportFailures;
    this.queueOverflow = queueOverflow;
    this.corruptRecords = corruptRecords;
    this.unknownRecords = unknownRecords;
    this.droppedRingFull = droppedRingFull;
    this.droppedReentrant = droppedReentrant;
    this.droppedTooDeep = droppedTooDeep;
    this.droppedNoSlot = droppedNoSlot;
    this.droppedShutdown = droppedShutdown;
    this.redelivered = redelivered;
    this.exportRetries = exportRetries;
    this.lastExportError = lastExportError;
    this.lastExportErrorEpochMillis = lastExportErrorEpochMillis;
  }

  /** Span records the native side committed to its rings. */
  public long spansCommitted() {
    return spansCommitted;
  }

  /** Span records read from the rings and decoded. */
  public long spansDrained() {
    return spansDrained;
  }

  /** Spans the exporter reported as exported. */
  public long spansExported() {
    return spansExported;
  }

  /**
   * Spans given up: not exported by the close deadline (queued, or in exports that failed or
   * went unanswered). While the collector runs, failed exports are retried, not given up.
   */
  public long exportFailures() {
    return exportFailures;
  }

  /** Spans dropped because the export queue was full (only with drop-when-full). */
  public long queueOverflow() {
    return queueOverflow;
  }

  /** Records rejected by validation (each resynchronisation of a ring counts one). */
  public long corruptRecords() {
    return corruptRecords;
  }

  /** Records of a type this reader does not know, skipped. */
  public long unknownRecords() {
    return unknownRecords;
  }

  /** Spans the native side dropped because its ring was full. */
  public long droppedRingFull() {
    return droppedRingFull;
  }

  /** Spans the native side dropped because they began inside weft (e.g. a signal handler). */
  public long droppedReentrant() {
    return droppedReentrant;
  }

  /** Spans the native side dropped because they nested deeper than the frame stack. */
  public long droppedTooDeep() {
    return droppedTooDeep;
  }

  /** Spans the native side dropped because no slot was free for their thread. */
  public long droppedNoSlot() {
    return droppedNoSlot;
  }

  /** Spans the native side dropped because they ended after a clean exit fenced recording. */
  public long droppedShutdown() {
    return droppedShutdown;
  }

  /**
   * Spans read again after an earlier collector read them but died (or was stopped) before their
   * export was acknowledged: exported again, they may arrive twice. Nothing else duplicates.
   */
  public long redelivered() {
    return redelivered;
  }

  /** Spans in export attempts that failed and were retried (each failed attempt counts). */
  public long exportRetries() {
    return exportRetries;
  }

  /**
   * The latest export failure: the exporter's error (e.g. the gRPC status), or that no answer
   * came within the close timeout; empty if no export has failed.
   */
  public Optional<String> lastExportError() {
    return Optional.ofNullable(lastExportError);
  }

  /** When {@link #lastExportError()} happened (milliseconds since the epoch), 0 if never. */
  public long lastExportErrorEpochMillis() {
    return lastExportErrorEpochMillis;
  }

  @Override
  public String toString() {
    return "WeftStats{committed=" + spansCommitted + ", drained=" + spansDrained
        + ", exported=" + spansExported + ", exportFailures=" + exportFailures
        + ", queueOverflow=" + queueOverflow + ", corrupt=" + corruptRecords
        + ", unknown=" + unknownRecords + ", droppedRingFull=" + droppedRingFull
        + ", droppedReentrant=" + droppedReentrant + ", droppedTooDeep=" + droppedTooDeep
        + ", droppedNoSlot=" + droppedNoSlot + ", droppedShutdown=" + droppedShutdown
        + ", redelivered=" + redelivered + ", exportRetries=" + exportRetries
        + (lastExportError == null ? "" : ", lastExportError=" + lastExportError) + "}";
  }
}
