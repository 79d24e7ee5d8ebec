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
 * ({@link #exportFailures()}) or dropped on a full queue ({@link #queueOverflow()}).
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
  @Nullable private final String lastExportError;
  private final long lastExportErrorEpochMillis;

  WeftStats(long spansCommitted, long spansDrained, long spansExported, long exportFailures,
      long queueOverflow, long corruptRecords, long unknownRecords, long droppedRingFull,
      long droppedReentrant, long droppedTooDeep, long droppedNoSlot,
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

  /** Spans in exports that failed (after the exporter's retries), or not exported by close. */
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
        + ", droppedNoSlot=" + droppedNoSlot
        + (lastExportError == null ? "" : ", lastExportError=" + lastExportError) + "}";
  }
}
