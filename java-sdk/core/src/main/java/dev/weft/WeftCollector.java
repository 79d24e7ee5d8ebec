package dev.weft;

import dev.weft.internal.export.AutoConfiguredExport;
import dev.weft.internal.CollectorEngine;
import dev.weft.internal.CounterSnapshot;
import dev.weft.internal.segment.NativeCounts;
import dev.weft.internal.SelfMetrics;
import dev.weft.internal.recovery.StartupRecovery;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.annotation.concurrent.GuardedBy;

/**
 * The bridge: a daemon thread that drains the spans native code records in Weft's
 * shared-memory segment and exports them through the OpenTelemetry Java SDK.
 *
 * <pre>{@code
 * try (WeftCollector collector = WeftCollector.builder().build()) {
 *   // ... call native code ...
 * }
 * }</pre>
 *
 * <p>By default the segment is {@code $WEFT_SHM_DIR/$WEFT_SHM_NAME} ({@code /dev/shm/weft-<pid>}
 * for this JVM) and the spans go to an OTLP/gRPC exporter configured by OpenTelemetry's own
 * autoconfiguration from the {@code OTEL_*} environment and {@code otel.*} system properties. If
 * the segment does not exist yet, the thread waits for it.
 *
 * <p>{@link #close()} (also run by a JVM shutdown hook unless disabled) drains what is left and
 * exports it, and returns within the close timeout ({@value
 * WeftCollectorBuilder#DEFAULT_CLOSE_TIMEOUT_MILLIS} ms by default) plus up to 250 ms of slack
 * for the collector thread and the exporter's (non-waiting) shutdown call, whatever the backend
 * does (measured: 1.3 s in all with the default): exports still unanswered then are given up, counted in
 * {@link WeftStats#exportFailures()} when they fail, and logged. So a JVM whose backend is
 * unreachable exits about 2 s after {@code main} returns, not after the exporter's own timeout
 * and retries. It is idempotent.
 */
public final class WeftCollector implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(WeftCollector.class.getName());

  /** Environment variable naming the segment's directory. */
  public static final String SHM_DIR_ENV = "WEFT_SHM_DIR";
  /** Environment variable naming the segment's file. */
  public static final String SHM_NAME_ENV = "WEFT_SHM_NAME";
  /** Directory used when {@value #SHM_DIR_ENV} is not set. */
  public static final String DEFAULT_SHM_DIR = "/dev/shm";

  /** The collectors of this JVM that are running (built and not closed), for {@link Weft#diagnose()}. */
  private static final List<WeftCollector> running = new CopyOnWriteArrayList<>();

  /**
   * Spans committed into each segment (normalized path) when the last collector of this JVM on
   * it closed: what it drained, so that the diagnosis does not call spans it exported undrained.
   */
  private static final Map<Path, Long> committedAtClose = new ConcurrentHashMap<>();

  /** The segments a collector of this JVM reads: two readers of one ring would race. */
  private static final Set<Path> active = ConcurrentHashMap.newKeySet();

  private final CollectorEngine engine;
  @Nullable private final AutoConfiguredExport ownedExport;
  @Nullable private final SelfMetrics selfMetrics;
  @Nullable private final Thread shutdownHook;
  private final Object lock = new Object();

  @GuardedBy("lock")
  private boolean closed;
  @Nullable private volatile StartupRecovery startupRecovery;
  private final CountDownLatch closeDone = new CountDownLatch(1);

  WeftCollector(CollectorEngine engine, @Nullable AutoConfiguredExport ownedExport,
      @Nullable SelfMetrics selfMetrics, boolean registerShutdownHook) {
    this.engine = engine;
    this.ownedExport = ownedExport;
    this.selfMetrics = selfMetrics;
    if (registerShutdownHook) {
      this.shutdownHook = new Thread(this::close, "weft-collector-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    } else {
      this.shutdownHook = null;
    }
    running.add(this);
  }

  /** The collectors of this JVM that are running now. */
  static List<WeftCollector> running() {
    return List.copyOf(running);
  }

  /** Returns a builder with the defaults described on {@link WeftCollectorBuilder}. */
  public static WeftCollectorBuilder builder() {
    return new WeftCollectorBuilder();
  }

  /**
   * The default segment path for this JVM: {@code $WEFT_SHM_DIR} (default {@value
   * #DEFAULT_SHM_DIR}) / {@code $WEFT_SHM_NAME} (default {@code weft-<pid of this JVM>}).
   */
  public static Path defaultSegmentPath() {
    return defaultSegmentPath(System.getenv());
  }

  static Path defaultSegmentPath(Map<String, String> environment) {
    String dir = environment.get(SHM_DIR_ENV);
    String name = environment.get(SHM_NAME_ENV);
    return Path.of(dir == null || dir.isEmpty() ? DEFAULT_SHM_DIR : dir,
        name == null || name.isEmpty() ? "weft-" + ProcessHandle.current().pid() : name);
  }

  /** The segment this collector reads. */
  public Path segmentPath() {
    return engine.path();
  }

  /** How long {@link #close()} may take to export what is left (as built). */
  public java.time.Duration closeTimeout() {
    return java.time.Duration.ofNanos(engine.closeTimeoutNanos());
  }

  /** True while the collector is attached to a valid segment. */
  public boolean isAttached() {
    return engine.isAttached();
  }

  /** Why the file at the segment path was last refused, or null if it was not. */
  @Nullable
  public String segmentRefusal() {
    return engine.refusal();
  }

  /**
   * One consistent snapshot of the counters, as the collector thread last read them together
   * (after every pass that found records, and at least every segment poll interval; after
   * close, as they are now): this method never reads the shared memory itself, so a segment
   * file truncated under the mapping cannot fault the caller.
   */
  public WeftStats stats() {
    CounterSnapshot c = engine.snapshot();
    NativeCounts n = c.natives;
    return new WeftStats(n.spansCommitted, c.drained, c.exported, c.exportFailures,
        c.queueOverflow, c.corrupt, c.unknown, n.droppedRingFull, n.droppedReentrant,
        n.droppedTooDeep, n.droppedNoSlot, n.droppedShutdown, c.redelivered, c.exportRetries,
        c.lastExportError, c.lastExportErrorEpochMillis);
  }

  /**
   * Drains the rings, exports what is left and stops the thread, within the close timeout; then
   * shuts down the exporter if the collector created it (an exporter passed to the builder is
   * left to its owner). Idempotent; a call while another is closing waits for it to finish, so
   * that whoever shuts the exporter down after it does so after the final export.
   */
  @Override
  public void close() {
    boolean first;
    synchronized (lock) {
      first = !closed;
      closed = true;
    }
    if (!first) {
      try {
        closeDone.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down
      }
    }
    try {
      doClose();
    } finally {
      // listed as running until its last export is done, then as having drained this much
      committedAtClose.put(segmentPath().toAbsolutePath().normalize(),
          stats().spansCommitted());
      running.remove(this);
      closeDone.countDown();
    }
  }

  /**
   * The spans committed into {@code segment} when the last collector of this JVM on it closed,
   * or -1 if none has.
   */
  static long committedAtClose(Path segment) {
    Long n = committedAtClose.get(segment.toAbsolutePath().normalize());
    return n == null ? -1 : n;
  }

  /**
   * Claims {@code path} for one collector of this JVM.
   *
   * @throws IllegalStateException if another collector of this JVM reads it
   */
  static Path claim(Path path) {
    Path key = path.toAbsolutePath().normalize();
    if (!active.add(key)) {
      throw new IllegalStateException("a WeftCollector of this JVM already reads " + key
          + ": close it first. If the application autoconfigures its OpenTelemetry SDK, that SDK"
          + " already started one (weft.collector.enabled=true by default): remove"
          + " WeftCollector.builder()...build(), or set weft.collector.enabled=false /"
          + " WEFT_COLLECTOR_ENABLED=false");
    }
    return key;
  }

  /** True if a collector of this JVM reads {@code path} (recovery leaves it alone). */
  static boolean isClaimed(Path path) {
    return active.contains(path.toAbsolutePath().normalize());
  }

  void setStartupRecovery(StartupRecovery recovery) {
    this.startupRecovery = recovery;
  }

  /** The start-up recovery of dead segments, if this collector runs one (for tests). */
  @Nullable
  StartupRecovery startupRecovery() {
    return startupRecovery;
  }

  static void release(Path path) {
    active.remove(path.toAbsolutePath().normalize());
  }

  private void doClose() {
    try {
      closeAndExport();
    } finally {
      release(engine.path());
    }
  }

  private void closeAndExport() {
    long deadline =
        System.nanoTime() + engine.closeTimeoutNanos() + CollectorEngine.CLOSE_SLACK_NANOS;
    StartupRecovery recovery = startupRecovery;
    if (recovery != null) {
      // Before the exporter shuts down; a segment it has not finished is kept for the next start.
      recovery.stop(Math.min(engine.closeTimeoutNanos(), deadline - System.nanoTime()) / 2);
    }
    if (!engine.close()) {
      logger.fine("weft collector thread did not finish within its close timeout");
    }
    boolean givenUp = engine.reportUnansweredAtClose();
    if (selfMetrics != null) {
      selfMetrics.close();
    }
    if (ownedExport != null) {
      // Exports still in flight were given up at the deadline: the exporter's shutdown goes on
      // in the background (daemon threads) and close() does not wait past the deadline for it.
      // With exports given up, the backend is not answering: do not wait for the shutdown.
      CompletableResultCode shutdown = ownedExport.shutdown();
      shutdown.join(givenUp ? 0 : Math.max(0, deadline - System.nanoTime()),
          TimeUnit.NANOSECONDS);
      if (!shutdown.isDone()) {
        logger.log(Level.FINE, "exporter shutdown goes on after close");
      } else if (!shutdown.isSuccess()) {
        logger.log(Level.FINE, "exporter shutdown did not succeed");
      }
    }
  }

}
