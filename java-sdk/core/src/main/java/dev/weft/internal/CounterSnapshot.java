package dev.weft.internal;

import dev.weft.internal.segment.NativeCounts;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * The collector's and the native side's counters read together, in an order that keeps them
 * consistent: the export counters first, then the drain counters, then the segment's counters
 * (which the writer stores before it publishes the records they count). So in one snapshot
 * {@code exported + exportFailures <= drained <= committed}, whatever runs concurrently.
 */
@Immutable
public final class CounterSnapshot {
  public final NativeCounts natives;
  public final long drained;
  public final long corrupt;
  public final long unknown;
  public final long redelivered;
  public final long queueOverflow;
  public final long exported;
  public final long exportFailures;
  public final long exportRetries;
  @Nullable public final String lastExportError;
  public final long lastExportErrorEpochMillis;

  private CounterSnapshot(NativeCounts natives, long drained, long corrupt, long unknown,
      long redelivered, long queueOverflow, long exported, long exportFailures,
      long exportRetries, @Nullable String lastExportError, long lastExportErrorEpochMillis) {
    this.natives = natives;
    this.drained = drained;
    this.corrupt = corrupt;
    this.unknown = unknown;
    this.redelivered = redelivered;
    this.queueOverflow = queueOverflow;
    this.exported = exported;
    this.exportFailures = exportFailures;
    this.exportRetries = exportRetries;
    this.lastExportError = lastExportError;
    this.lastExportErrorEpochMillis = lastExportErrorEpochMillis;
  }

  public static final CounterSnapshot ZERO =
      new CounterSnapshot(NativeCounts.ZERO, 0, 0, 0, 0, 0, 0, 0, 0, null, 0);

  /** The collector's counters, read now; the native ones are read after, by the caller. */
  static final class Partial {
    final long exported;
    final long exportFailures;
    final long exportRetries;
    @Nullable final String lastExportError;
    final long lastExportErrorEpochMillis;
    final long drained;
    final long corrupt;
    final long unknown;
    final long redelivered;
    final long queueOverflow;

    Partial(Counters c) {
      // Exports first: every span exported or failed was drained before.
      this.exported = c.spansExported();
      this.exportFailures = c.exportFailures();
      this.lastExportErrorEpochMillis = c.lastExportErrorEpochMillis();
      this.lastExportError = c.lastExportError();
      this.exportRetries = c.exportRetries();
      this.drained = c.spansDrained();
      this.corrupt = c.corruptRecords();
      this.unknown = c.unknownRecords();
      this.redelivered = c.redelivered();
      this.queueOverflow = c.queueOverflow();
    }

    /** {@code natives} must have been read after this object was made. */
    CounterSnapshot with(NativeCounts natives) {
      return new CounterSnapshot(natives, drained, corrupt, unknown, redelivered, queueOverflow,
          exported, exportFailures, exportRetries, lastExportError, lastExportErrorEpochMillis);
    }
  }
}
