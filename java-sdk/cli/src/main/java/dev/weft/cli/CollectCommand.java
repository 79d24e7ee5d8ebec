package dev.weft.cli;

import dev.weft.internal.WarmUp;
import dev.weft.internal.export.AutoConfiguredExport;
import dev.weft.internal.recovery.DeadSegments;
import dev.weft.internal.segment.DirectoryWatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weft collect}: the standalone collector. */
@Command(name = "collect", mixinStandardHelpOptions = true,
    description = {"Watches a directory of segments. Drains every live segment that no"
        + " in-process collector holds (its lease is free), each under its own process's"
        + " Resource; recovers the segments of dead processes (weft recover); exports through"
        + " the standard OTEL_* configuration. Runs until SIGTERM or SIGINT, then drains"
        + " everything once more."})
final class CollectCommand implements Callable<Integer> {
  private static final Logger logger = Logger.getLogger(CollectCommand.class.getName());

  @Parameters(arity = "0..1", paramLabel = "DIR",
      description = "the directory to watch (default: $WEFT_SHM_DIR, else /dev/shm)")
  Path directory;

  @Option(names = "--poll", defaultValue = "1s", converter = DurationConverter.class,
      description = "how often to look for ended and dead segments, and for new ones where the"
          + " directory cannot be watched (new segments are otherwise drained from their"
          + " creation) (default ${DEFAULT-VALUE})")
  Duration poll;

  @Option(names = "--max-segments", defaultValue = "64",
      description = "segments drained at once at most (default ${DEFAULT-VALUE})")
  int maxSegments;

  @Option(names = "--queue-size", defaultValue = "2048",
      description = "spans queued for export per segment at most (default ${DEFAULT-VALUE}):"
          + " memory is bounded by max-segments x queue-size spans")
  int queueSize;

  @Option(names = "--include-jvms", description = "also drain the segments of JVMs (by default"
      + " a JVM's segment is left to its in-process collector)")
  boolean includeJvms;

  @Option(names = "--export-timeout", defaultValue = "30s", converter = DurationConverter.class,
      description = "how long one recovery export may take (default ${DEFAULT-VALUE})")
  Duration exportTimeout;

  @Option(names = "--once", description = "one pass, then drain, stop and exit (for scripts)")
  boolean once;

  /** Set by tests and the shutdown hook (with a {@link #wake} release). */
  final CountDownLatch stop = new CountDownLatch(1);
  /** Released when a segment file appears in the directory, or to stop: scan now. */
  final Semaphore wake = new Semaphore(0);

  @Override
  public Integer call() throws Exception {
    Path dir = directory != null ? directory : WeftCommand.defaultDirectory();
    if (!Files.isDirectory(dir)) {
      throw new WeftCommand.UserError(dir + ": not a directory (name the directory the native"
          + " side writes its segments to: WEFT_SHM_DIR, default /dev/shm)");
    }
    if (maxSegments < 1 || queueSize < 1) {
      throw new WeftCommand.UserError("--max-segments and --queue-size must be positive");
    }
    AutoConfiguredExport export = Exporters.create();
    // Compiles the export path now, before the first process records: a collector starts when
    // its segment appears, when its rings already fill (once per JVM; WEFT_COLLECTOR_WARMUP).
    WarmUp.start(export.exporter(), export.resource(), "weft-collect");
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      wake.release();
      try {
        finished.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "weft-collect-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    logger.info("weft collect: watching " + dir + ", exporting " + Exporters.describe());
    // A new process's segment is drained from its creation, not at the next poll: its rings
    // fill meanwhile (256 KiB rings, the default on a small /dev/shm, hold about 100 ms of a
    // 12 k spans/s thread).
    DirectoryWatch appearing = once ? null : DirectoryWatch.start(dir,
        name -> name.toString().startsWith(DeadSegments.PREFIX), wake::release,
        "weft-collect-watch");
    if (!once && appearing == null) {
      logger.info("weft collect: cannot watch " + dir + " for new segments (no file"
          + " notifications there, or the inotify limits are reached); looking every " + poll);
    }
    try (SegmentWatcher watcher = new SegmentWatcher(dir, export.exporter(), maxSegments,
        queueSize, includeJvms, exportTimeout.toNanos())) {
      long retryMillis = 0;
      boolean notReady;
      do {
        notReady = watcher.scan();
        // a segment still being created: look again in 1 ms, doubling up to the poll
        retryMillis = notReady ? Math.min(Math.max(1, retryMillis * 2), poll.toMillis()) : 0;
      } while (!once && !awaitStopOrWake(notReady ? retryMillis : poll.toMillis()));
    } finally {
      if (appearing != null) {
        appearing.close();
      }
      export.shutdown().join(5, TimeUnit.SECONDS);
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down
      }
    }
    return 0;
  }

  /** Waits up to {@code millis} for a new segment or the stop; returns true to stop. */
  private boolean awaitStopOrWake(long millis) throws InterruptedException {
    if (wake.tryAcquire(millis, TimeUnit.MILLISECONDS)) {
      wake.drainPermits(); // one scan for every event so far
    }
    return stop.getCount() == 0;
  }
}
