package dev.weft.cli;

import dev.weft.WeftCollector;
import dev.weft.internal.recovery.DeadSegments;
import dev.weft.internal.recovery.SegmentRecovery;
import dev.weft.internal.recovery.SegmentResource;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.InvalidSegmentException;
import dev.weft.internal.segment.Lease;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.Segment;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * The loop of {@code weft collect}: every poll, for each segment of the directory,
 *
 * <ul>
 *   <li>a live creator's segment whose lease is free (no in-process collector) is leased and
 *       drained by a {@link WeftCollector} of its own, under the Resource of the segment's
 *       RESOURCE record (each process under its own Resource);
 *   <li>a dead creator's segment is recovered ({@link SegmentRecovery}): also one this loop was
 *       draining, once its collector has drained it a last time;
 *   <li>a segment that was closed or removed is let go.
 * </ul>
 *
 * <p>Memory is bounded: at most {@code maxSegments} segments at once, each with a queue of
 * {@code queueSize} spans; a segment beyond that is left alone, and said so once.
 */
final class SegmentWatcher implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(SegmentWatcher.class.getName());

  /** How long the last drain and export of one segment may take. */
  static final java.time.Duration CLOSE_TIMEOUT = java.time.Duration.ofSeconds(10);

  private final Path directory;
  private final SpanExporter exporter;
  private final SegmentRecovery recovery;
  private final int maxSegments;
  private final int queueSize;
  private final boolean includeJvms;
  private final Map<Path, Drained> drained = new LinkedHashMap<>();
  /** Paths (with the file identity) already reported as left alone, to say it once. */
  private final Set<String> reported = new HashSet<>();

  /** One segment this loop drains. */
  private static final class Drained {
    final Path path;
    final Object fileKey;
    final int pid;
    final long startTicks;
    final byte[] bootId;
    final Lease lease;
    final WeftCollector collector;

    Drained(Segment segment, Lease lease, WeftCollector collector) {
      this.path = segment.path();
      this.fileKey = segment.fileKey();
      this.pid = segment.creatorPid();
      this.startTicks = segment.creatorStartTicks();
      this.bootId = segment.bootId();
      this.lease = lease;
      this.collector = collector;
    }
  }

  SegmentWatcher(Path directory, SpanExporter exporter, int maxSegments, int queueSize,
      boolean includeJvms, long exportTimeoutNanos) {
    this.directory = directory;
    this.exporter = exporter;
    this.maxSegments = maxSegments;
    this.queueSize = queueSize;
    this.includeJvms = includeJvms;
    this.recovery = new SegmentRecovery(exporter, 512, exportTimeoutNanos, () -> false);
  }

  /** The segments drained now (for tests and the log). */
  synchronized Set<Path> drainedPaths() {
    return Set.copyOf(drained.keySet());
  }

  /** Set by {@link #consider} when a file is still being created by its process. */
  private boolean notReady;

  /**
   * One pass: let go of what ended, recover the dead, start draining the new.
   *
   * @return true if a segment was found still being created (size 0 or header not written yet):
   *     look again soon rather than a poll later, its process records already
   */
  synchronized boolean scan() {
    notReady = false;
    for (Drained d : List.copyOf(drained.values())) {
      check(d);
    }
    List<Path> candidates;
    try {
      candidates = DeadSegments.candidates(directory);
    } catch (IOException e) {
      once("dir", Level.WARNING, "cannot list " + directory + " (" + e + "); retrying");
      return false;
    }
    reported.remove("dir");
    Set<String> present = new HashSet<>();
    for (Path path : candidates) {
      if (drained.containsKey(path)) {
        continue;
      }
      String key = consider(path);
      if (key != null) {
        present.add(key);
      }
    }
    // forget what was reported about files that are gone, so that a new one is reported again
    reported.removeIf(k -> !k.equals("dir") && !k.equals("max") && !present.contains(k));
    return notReady;
  }

  private void check(Drained d) {
    boolean stillHeld;
    long owner;
    int state;
    try {
      stillHeld = d.lease.check(System.nanoTime());
      owner = d.lease.words().leaseOwnerAcquire();
      state = d.lease.words().stateAcquire();
    } catch (InternalError e) {
      stillHeld = false; // the header page faulted: the file was truncated
      owner = -1;
      state = -1;
    }
    // Free (0) is not a take-over: our own collector gave the lease up when it found the
    // segment closed and drained (it then removes the file), which the state below tells.
    if (!stillHeld && !(owner == 0 && state == Abi.SEGMENT_CLOSED)) {
      logger.warning("weft collect: the lease of " + d.path + " was taken over; stopped"
          + " draining it");
      letGo(d, false);
      return;
    }
    boolean alive = ProcessLiveness.isAlive(d.pid, d.startTicks, d.bootId);
    boolean samePath = d.fileKey.equals(fileKey(d.path));
    if (state == Abi.SEGMENT_LIVE && alive && samePath) {
      return;
    }
    // Drain once more (the collector's close), then recover what is left if the creator died.
    d.collector.close();
    if (state == Abi.SEGMENT_LIVE && !alive && samePath) {
      SegmentRecovery.Result result = recovery.recover(d.path, d.lease);
      log(result);
    } else if (state == Abi.SEGMENT_CLOSED && samePath) {
      // weft_shutdown with a collector holding the lease leaves the file to it (docs/shm-abi.md
      // "Lease"): drained above, it is removed here.
      boolean removed = false;
      try {
        Files.deleteIfExists(d.path);
        removed = true;
      } catch (IOException e) {
        logger.warning("weft collect: " + d.path + " was closed and drained but cannot be"
            + " removed: " + e);
      }
      logger.info("weft collect: " + d.path + " was closed by pid " + d.pid + "; drained"
          + (removed ? " and removed" : ""));
    } else {
      logger.info("weft collect: " + d.path + " " + (state == Abi.SEGMENT_CLOSED
          ? "was closed by pid " + d.pid : "was removed or replaced") + "; let go");
    }
    letGo(d, true);
  }

  private void letGo(Drained d, boolean closed) {
    if (!closed) {
      d.collector.close();
    }
    d.lease.release();
    drained.remove(d.path);
  }

  /** Handles a segment not drained yet; returns its report key, or null if it is gone. */
  @Nullable
  private String consider(Path path) {
    Segment segment;
    try {
      segment = Segment.openUnmapped(path);
    } catch (NoSuchFileException e) {
      return null;
    } catch (InvalidSegmentException e) {
      String key = path + "@refused";
      if (e.isNotReadyYet()) {
        notReady = true;
      } else {
        once(key, Level.WARNING, e.getMessage() + "; left alone");
      }
      return key;
    } catch (IOException e) {
      String key = path + "@unreadable";
      once(key, Level.WARNING, path + ": cannot be read (" + e + "); left alone");
      return key;
    }
    String key = path + "@" + segment.fileKey();
    try (segment) {
      int state = segment.state();
      boolean alive = state == Abi.SEGMENT_LIVE && ProcessLiveness.isAlive(
          segment.creatorPid(), segment.creatorStartTicks(), segment.bootId());
      if (state == Abi.SEGMENT_RECOVERED || (state == Abi.SEGMENT_LIVE && !alive)) {
        SegmentRecovery.Result result = recovery.recover(path);
        if (result.outcome == SegmentRecovery.Outcome.RECOVERED
            || result.outcome == SegmentRecovery.Outcome.ALREADY_RECOVERED) {
          log(result);
        } else {
          once(key + "@" + result.outcome, Level.WARNING, result.message);
        }
        return key;
      }
      if (state != Abi.SEGMENT_LIVE) {
        notReady |= state != Abi.SEGMENT_CLOSED; // initialising: look again soon
        return key; // closed (its process removes it) or initialising
      }
      if (!includeJvms && isJvm(segment.creatorPid())) {
        once(key, Level.INFO, path + ": pid " + segment.creatorPid() + " is a JVM, whose"
            + " in-process collector drains it; left to it (--include-jvms to drain it here)");
        return key;
      }
      if (drained.size() >= maxSegments) {
        once("max", Level.WARNING, "draining " + maxSegments + " segments already (--max-segments);"
            + " " + path + " and any further ones are left alone until one ends");
        return key;
      }
      start(segment, key);
      return key;
    } catch (IOException | InternalError e) {
      once(key + "@error", Level.WARNING, path + ": " + e.getMessage() + "; left alone");
      return key;
    }
  }

  private void start(Segment segment, String key) throws IOException {
    Path path = segment.path();
    Lease lease = Lease.mapHeader(segment, Lease.DEFAULT_TIMEOUT_NANOS);
    Lease.Refusal refused = lease.tryAcquire(System.nanoTime());
    if (refused != null) {
      once(key, Level.INFO, refused.message + " (an in-process collector); left to it");
      return;
    }
    SegmentResource resource = SegmentResource.read(segment);
    if (resource.note != null) {
      logger.info("weft collect: " + resource.note);
    }
    WeftCollector collector;
    try {
      collector = WeftCollector.builder().setSegmentPath(path).setSpanExporter(exporter)
          .setResource(resource.resource).setMaxQueueSize(queueSize)
          .setMeterProvider(MeterProvider.noop()).setRegisterShutdownHook(false)
          // its last drain (the segment closed, its process died, or weft collect stops) is not
          // a JVM exit racing a deadline: give the export time, also on a loaded machine
          .setCloseTimeout(CLOSE_TIMEOUT)
          .setRecoveryEnabled(false).build();
    } catch (RuntimeException e) {
      lease.release();
      once(key, Level.WARNING, path + ": not collected: " + e.getMessage());
      return;
    }
    drained.put(path, new Drained(segment, lease, collector));
    logger.info("weft collect: draining " + path + " (pid " + segment.creatorPid()
        + ", service.name=" + serviceName(resource.resource) + ")");
  }

  private static String serviceName(Resource resource) {
    return String.valueOf(resource.getAttribute(
        io.opentelemetry.api.common.AttributeKey.stringKey("service.name")));
  }

  /** True if {@code pid} has libjvm mapped: a JVM. */
  static boolean isJvm(int pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "maps"),
          StandardCharsets.ISO_8859_1)) {
        if (line.endsWith("/libjvm.so")) {
          return true;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  @Nullable
  private static Object fileKey(Path path) {
    try {
      var a = Files.readAttributes(path, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
      return a.get("ino") + ":" + a.get("dev");
    } catch (IOException e) {
      return null;
    }
  }

  private void once(String key, Level level, String message) {
    if (reported.add(key)) {
      logger.log(level, "weft collect: " + message);
    }
  }

  private static void log(SegmentRecovery.Result result) {
    logger.log(result.outcome == SegmentRecovery.Outcome.RECOVERED
        || result.outcome == SegmentRecovery.Outcome.ALREADY_RECOVERED ? Level.INFO
        : Level.WARNING, "weft collect: " + result.message);
  }

  /** Drains every segment a last time and gives the leases back. */
  @Override
  public synchronized void close() {
    for (Drained d : List.copyOf(drained.values())) {
      letGo(d, false);
    }
  }

  static long seconds(long nanos) {
    return TimeUnit.NANOSECONDS.toSeconds(nanos);
  }
}
