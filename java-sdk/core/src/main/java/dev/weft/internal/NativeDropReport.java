package dev.weft.internal;

import dev.weft.internal.segment.NativeCounts;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Says once per reason, per collector, when the native side of a segment has dropped spans, with
 * the cause and the setting that fixes it. The counts themselves are in {@code WeftStats} and the
 * collector's metrics; without this line a drop was visible only to someone who looked there (the
 * demo lost 1 % of its worker spans to {@code droppedNoSlot} under load and printed nothing).
 * Spans dropped at a clean exit ({@code droppedShutdown}) are expected and not reported here.
 * Collector thread only.
 */
final class NativeDropReport {
  private static final Logger logger = Logger.getLogger(CollectorEngine.class.getName());

  /**
   * A first ring-full drop this soon after the JVM started gets the start-up hint: a fresh JVM's
   * first exports run cold code while the rings fill, and on 2 cores its JIT is busy for several
   * seconds (docs/benchmarks.md "Start-up drops, profiled", "What the warm-up still missed").
   */
  static final long START_UP_MILLIS = 10_000;

  private final LongSupplier uptimeMillis;
  private boolean ringFull;
  private boolean noSlot;
  private boolean tooDeep;
  private boolean reentrant;

  NativeDropReport() {
    this(NativeDropReport::processUptimeMillis);
  }

  /** @param uptimeMillis milliseconds since this JVM started, or -1 if unknown */
  NativeDropReport(LongSupplier uptimeMillis) {
    this.uptimeMillis = uptimeMillis;
  }

  /** Since the process started (java.base only: no java.management), or -1 if unknown. */
  private static long processUptimeMillis() {
    return ProcessHandle.current().info().startInstant()
        .map(start -> Instant.now().toEpochMilli() - start.toEpochMilli()).orElse(-1L);
  }

  /** What a ring-full drop in the JVM's first seconds adds to its line, else nothing. */
  private String startUpHint() {
    long uptime = uptimeMillis.getAsLong();
    if (uptime < 0 || uptime >= START_UP_MILLIS) {
      return "";
    }
    return String.format(Locale.ROOT, ". This one came %.1f s after this JVM started: a fresh"
        + " JVM is still compiling the collector's code (on 2 cores, for several seconds), and"
        + " its exports are slower meanwhile. Starting the collector a few seconds before native"
        + " code records at this rate helps; at about 100 k spans/s per thread and more, larger"
        + " rings ride it out (with WEFT_RING_SIZE=4M or 8M, 200 k spans/s on 2 cores dropped"
        + " nothing in 5 of 7 trials; docs/deployment.md, \"Warm-up\" and \"Buffering\")",
        uptime / 1000.0);
  }

  /**
   * Checks {@code counts} (read from {@code segment}, which has {@code slots} thread slots of
   * {@code ringBytes} each) and logs what has not been said yet.
   */
  void check(NativeCounts counts, Path segment, int slots, int ringBytes) {
    if (!ringFull && counts.droppedRingFull > 0) {
      ringFull = true;
      logger.log(Level.WARNING, String.format(Locale.ROOT, "weft: native spans were dropped"
          + " because a thread's ring in %s was full (%d so far, WeftStats.droppedRingFull()):"
          + " the collector or its exporter fell behind the rate native code records at (a"
          + " stall, a slow or unreachable backend: see WeftStats.lastExportError()). Fix: a"
          + " larger WEFT_RING_SIZE (now %d KiB per thread) in the environment of the process"
          + " that records rides out longer stalls%s", segment, counts.droppedRingFull,
          ringBytes >> 10, startUpHint()));
    }
    if (!noSlot && counts.droppedNoSlot > 0) {
      noSlot = true;
      logger.log(Level.WARNING, String.format(Locale.ROOT, "weft: native spans were dropped"
          + " because every one of the %d thread slots of %s was taken (%d so far,"
          + " WeftStats.droppedNoSlot()): more threads recorded at once than the segment has"
          + " slots, or threads exited faster than the collector could read what they left"
          + " (their slots are free again once read). Fix: raise WEFT_MAX_THREADS (now %d) in the"
          + " environment of the process that records", slots, segment, counts.droppedNoSlot,
          slots));
    }
    if (!tooDeep && counts.droppedTooDeep > 0) {
      tooDeep = true;
      logger.log(Level.WARNING, String.format(Locale.ROOT, "weft: native spans were dropped"
          + " because they nested deeper than the segment's span stack on their thread (%d so"
          + " far, WeftStats.droppedTooDeep(), in %s). Fix: raise WEFT_STACK_DEPTH in the"
          + " environment of the process that records, or look for native spans that are"
          + " never ended", counts.droppedTooDeep, segment));
    }
    if (!reentrant && counts.droppedReentrant > 0) {
      reentrant = true;
      logger.log(Level.INFO, String.format(Locale.ROOT, "weft: %d native spans were begun by a"
          + " signal handler (or other reentrant call) while the same thread was inside a Weft"
          + " call, and were dropped and counted (WeftStats.droppedReentrant(), in %s): nothing"
          + " to fix unless your signal handlers record spans", counts.droppedReentrant,
          segment));
    }
  }
}
