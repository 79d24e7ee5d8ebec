package dev.weft.cli;

import dev.weft.internal.export.AutoConfiguredExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
      description = "how often to look for new, ended and dead segments (default ${DEFAULT-VALUE})")
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

  /** Set by tests and the shutdown hook. */
  final CountDownLatch stop = new CountDownLatch(1);

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
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        finished.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "weft-collect-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    logger.info("weft collect: watching " + dir + ", exporting " + Exporters.describe());
    try (SegmentWatcher watcher = new SegmentWatcher(dir, export.exporter(), maxSegments,
        queueSize, includeJvms, exportTimeout.toNanos())) {
      do {
        watcher.scan();
      } while (!once && !stop.await(poll.toMillis(), TimeUnit.MILLISECONDS));
    } finally {
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
}
