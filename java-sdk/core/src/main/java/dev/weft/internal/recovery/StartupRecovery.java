package dev.weft.internal.recovery;

import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The recovery an in-JVM collector runs once at start, on its own daemon thread so that the
 * application is never delayed: every dead segment of the shm directory (of this user) is
 * exported through the collector's exporter and removed. Stopped by the collector's close.
 */
public final class StartupRecovery {
  private static final Logger logger = Logger.getLogger(StartupRecovery.class.getName());
  /** Spans per export request. */
  static final int BATCH_SIZE = 512;
  /** How long one export may take before the segment is left for a later run. */
  static final long EXPORT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Thread thread;
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile List<SegmentRecovery.Result> results = List.of();

  private StartupRecovery(Path directory, SpanExporter exporter, Predicate<Path> skip) {
    SegmentRecovery recovery =
        new SegmentRecovery(exporter, BATCH_SIZE, EXPORT_TIMEOUT_NANOS, () -> stopping);
    this.thread = new Thread(() -> {
      try {
        results = DeadSegments.recoverAll(directory, recovery, skip);
      } catch (RuntimeException e) {
        logger.log(Level.WARNING, "weft: recovery of the dead segments in " + directory
            + " failed", e);
      } finally {
        done.countDown();
      }
    }, "weft-recovery");
    thread.setDaemon(true);
  }

  /** Starts recovering {@code directory}'s dead segments, skipping those {@code skip} names. */
  public static StartupRecovery start(Path directory, SpanExporter exporter,
      Predicate<Path> skip) {
    StartupRecovery recovery = new StartupRecovery(directory, exporter, skip);
    recovery.thread.start();
    return recovery;
  }

  /** Waits until the scan is done; true if it is. */
  public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
    return done.await(timeout, unit);
  }

  /** What the scan did, once {@link #await} returned true. */
  public List<SegmentRecovery.Result> results() {
    return results;
  }

  /**
   * Asks the scan to stop after the export in flight and waits at most {@code timeoutNanos}: a
   * segment not finished is kept, whole, for the next start.
   */
  public void stop(long timeoutNanos) {
    stopping = true;
    try {
      if (!done.await(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS)) {
        logger.fine("weft recovery still exporting at close; its segment is kept");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
