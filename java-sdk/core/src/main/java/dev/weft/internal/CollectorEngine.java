package dev.weft.internal;

import dev.weft.internal.export.ExportPipeline;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.Faults;
import dev.weft.internal.segment.InvalidSegmentException;
import dev.weft.internal.segment.NativeCounts;
import dev.weft.internal.segment.ProcessLiveness;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SegmentDrainer;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.annotation.concurrent.GuardedBy;

/**
 * The collector thread: waits for the segment, drains every ring into the export pipeline with a
 * back-off idle strategy, re-attaches when the segment is replaced, and on close drains what is
 * left and exports it within a deadline.
 */
public final class CollectorEngine {
  private static final Logger logger = Logger.getLogger(CollectorEngine.class.getName());

  /** Settings, validated by the public builder. */
  public static final class Settings {
    public Path segmentPath;
    public Resource resource;
    public SpanExporter exporter;
    public int maxQueueSize;
    public int maxExportBatchSize;
    public int maxConcurrentExports;
    public long scheduleDelayNanos;
    public boolean dropWhenQueueFull;
    public long closeTimeoutNanos;
    public long segmentPollNanos;
    public long idleMaxSpins;
    public long idleMaxYields;
    public long idleMinParkNanos;
    public long idleMaxParkNanos;
  }

  private final Path path;
  private final Resource resource;
  private final Counters counters = new Counters();
  private final ExportPipeline pipeline;
  private final BackoffIdleStrategy idle;
  @Nullable private volatile BooleanSupplier periodicTask;
  private long nextPeriodicTaskNanos = System.nanoTime();
  private final long segmentPollNanos;
  private final long closeTimeoutNanos;
  private final Thread thread;
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Object lock = new Object();

  private volatile boolean closing;
  // Set by close() before closing: the final drain and export end by then.
  private volatile long closeDeadlineNanos;
  @Nullable private volatile SegmentDrainer drainer;
  @Nullable private volatile String refusal;

  @GuardedBy("lock")
  private NativeCounts retired = NativeCounts.ZERO;
  /** The current segment's counters as last read by the collector thread. */
  @GuardedBy("lock")
  private NativeCounts current = NativeCounts.ZERO;
  /** {@code retired + current}, for readers on other threads (they never read the mapping). */
  private volatile NativeCounts published = NativeCounts.ZERO;

  // Collector thread only.
  private long nextSegmentCheckNanos;
  private long nextCountsNanos;

  public CollectorEngine(Settings settings, String threadName) {
    this.path = Objects.requireNonNull(settings.segmentPath, "segmentPath");
    this.resource = Objects.requireNonNull(settings.resource, "resource");
    this.pipeline = new ExportPipeline(settings.exporter, counters, settings.maxQueueSize,
        settings.maxExportBatchSize, settings.maxConcurrentExports, settings.scheduleDelayNanos,
        settings.dropWhenQueueFull);
    // Records may wait in the rings for a fraction of the batch delay (they wait that long in
    // the batch anyway), and never longer than the segment poll interval.
    this.idle = new BackoffIdleStrategy(settings.idleMaxSpins, settings.idleMaxYields,
        settings.idleMinParkNanos, settings.idleMaxParkNanos,
        Math.min(settings.segmentPollNanos, settings.scheduleDelayNanos / 2));
    this.segmentPollNanos = settings.segmentPollNanos;
    this.closeTimeoutNanos = settings.closeTimeoutNanos;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
    this.pipeline.setOwner(thread);
  }

  /**
   * Tries to attach to the segment now, so that a refused segment is reported to the caller of
   * {@code build()}. A missing or not yet initialised segment is not an error. Reads the header
   * through the file, never the mapping (only the collector thread reads that).
   */
  public void attachNow() throws InvalidSegmentException {
    try {
      drainer = new SegmentDrainer(Segment.open(path), resource, counters);
    } catch (NoSuchFileException e) {
      // not created yet: the thread waits for it
    } catch (InvalidSegmentException e) {
      if (!e.isNotReadyYet()) {
        throw e;
      }
    } catch (IOException e) {
      logger.log(Level.FINE, "segment not readable yet: " + path, e);
    }
  }

  /**
   * A task the collector thread runs about every segment poll interval (default 100 ms) while it
   * runs, until the task returns true. Set before {@link #start()}.
   */
  public void setPeriodicTask(BooleanSupplier task) {
    this.periodicTask = task;
  }

  private void runPeriodicTask(long now) {
    BooleanSupplier task = periodicTask;
    if (task != null && now - nextPeriodicTaskNanos >= 0) {
      nextPeriodicTaskNanos = now + segmentPollNanos;
      try {
        if (task.getAsBoolean()) {
          periodicTask = null;
        }
      } catch (RuntimeException e) {
        logger.log(Level.FINE, "periodic task failed", e);
      }
    }
  }

  public void start() {
    thread.start();
  }

  public Path path() {
    return path;
  }

  public Counters counters() {
    return counters;
  }

  public boolean isAttached() {
    return drainer != null;
  }

  /** Why the segment at the path was last refused, or null. */
  @Nullable
  public String refusal() {
    return refusal;
  }

  /**
   * Native counters of the current segment plus those of segments detached before, as the
   * collector thread last read them (after every pass that found records, and at least every
   * segment poll interval). Never reads the mapping: a truncated file cannot fault the caller.
   */
  public NativeCounts nativeCounts() {
    return published;
  }

  /**
   * Collector thread: reads the current segment's counters and publishes the sum, unless the
   * file was truncated under the reads (then they may be what a faulting access left in a
   * register, not the counters: the fault is not always delivered at once, see {@link Faults}).
   *
   * @throws InternalError if the mapping faulted or the file is now shorter than the mapping
   */
  private void publishCounts(SegmentDrainer attached, long now) {
    NativeCounts read = NativeCounts.read(attached.segment());
    deliverPendingFault(); // counters read from a faulting mapping are not published
    attached.segment().requireWhole();
    synchronized (lock) {
      if (drainer == attached) {
        current = read;
        published = retired.plus(read);
      }
    }
    nextCountsNanos = now + segmentPollNanos;
  }

  /** What {@link #close()} may wait beyond the close timeout, for the final bookkeeping. */
  public static final long CLOSE_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  public long closeTimeoutNanos() {
    return closeTimeoutNanos;
  }

  /**
   * After {@link #close()}: reports the exports still unanswered, if any (once).
   *
   * @return true if exports were unanswered
   */
  public boolean reportUnansweredAtClose() {
    return pipeline.reportUnansweredAtClose(closeTimeoutNanos);
  }

  /**
   * Stops the thread after a final drain and export; waits at most the close timeout plus
   * {@link #CLOSE_SLACK_NANOS}.
   */
  public boolean close() {
    long deadline = System.nanoTime() + closeTimeoutNanos;
    closeDeadlineNanos = deadline;
    closing = true;
    LockSupport.unpark(thread);
    if (Thread.currentThread() == thread) {
      return false;
    }
    try {
      // The thread itself stops at its deadline; a little slack for the final bookkeeping.
      return finished.await(deadline + CLOSE_SLACK_NANOS - System.nanoTime(),
          TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void run() {
    try {
      while (!closing) {
        try {
          drainUntilClosing();
        } catch (InternalError | IndexOutOfBoundsException e) {
          // A fault of the mapping delivered late (JDK 17), after the handler below had let go:
          // in its logging, say. The same treatment, and the loop goes on.
          SegmentDrainer attached = drainer;
          if (attached != null) {
            detach(attached, false, "segment " + path + " became unreadable (" + e
                + "); detached, will attach again");
          }
        }
      }
      try {
        finish();
      } catch (InternalError | IndexOutOfBoundsException e) {
        logger.log(Level.WARNING, "segment " + path + " became unreadable during close", e);
        pipeline.finish(closing ? closeDeadlineNanos : System.nanoTime() + closeTimeoutNanos,
            closeTimeoutNanos);
      }
    } catch (Throwable t) {
      logger.log(Level.SEVERE, "weft collector thread failed", t);
      drainer = null;
    } finally {
      finished.countDown();
    }
  }

  /** The collector loop; returns when closing. */
  private void drainUntilClosing() {
    while (!closing) {
      SegmentDrainer attached = drainer;
      try {
        if (attached == null) {
          attached = tryAttach();
          if (attached == null) {
            pipeline.poll(System.nanoTime());
            runPeriodicTask(System.nanoTime());
            LockSupport.parkNanos(this, segmentPollNanos);
            continue;
          }
        }
        double fill = attached.maxFill();
        int work = idle.drainDue(fill, System.nanoTime()) ? attached.drain(pipeline) : 0;
        long now = System.nanoTime();
        if (work > 0 || now - nextCountsNanos >= 0) {
          publishCounts(attached, now);
        }
        deliverPendingFault();
        work += pipeline.poll(now);
        runPeriodicTask(now);
        if (work == 0 && now - nextSegmentCheckNanos >= 0) {
          nextSegmentCheckNanos = now + segmentPollNanos;
          checkReplaced(attached);
        }
        idle.idle(work, fill);
      } catch (InternalError | IndexOutOfBoundsException e) {
        // The file was truncated under the mapping (SIGBUS, delivered by the JVM as an
        // InternalError, possibly after the access that faulted), or the mapping is otherwise
        // unusable: give the segment up and attach again to whatever the path holds.
        if (attached != null) {
          detach(attached, false, "segment " + path + " became unreadable (" + e
              + "); detached, will attach again");
        } else {
          logger.log(Level.WARNING, "weft collector: unexpected fault while detached", e);
        }
      }
    }
  }

  /**
   * Lets the JVM deliver, here inside the handler, an {@link InternalError} it may still hold
   * for a fault in a recent mapped-memory read (HotSpot raises it at the next transition out of
   * native code or the VM, which a call to a native method is).
   */
  private static void deliverPendingFault() {
    Faults.deliverPending();
  }

  /** True if the file is now shorter than the mapping (reading the rest would fault). */
  private static boolean truncated(Segment segment) {
    try {
      return segment.fileSizeNow() < segment.segmentSize();
    } catch (IOException e) {
      return true;
    }
  }

  @Nullable
  private SegmentDrainer tryAttach() {
    try {
      SegmentDrainer attached = new SegmentDrainer(Segment.open(path), resource, counters);
      synchronized (lock) {
        current = NativeCounts.ZERO;
        drainer = attached;
      }
      refusal = null;
      idle.reset();
      logger.fine("attached to segment " + path);
      return attached;
    } catch (NoSuchFileException e) {
      return null;
    } catch (InvalidSegmentException e) {
      if (!e.isNotReadyYet() && !Objects.equals(refusal, e.getMessage())) {
        refusal = e.getMessage();
        logger.warning("refusing segment: " + e.getMessage());
      }
      return null;
    } catch (IOException | RuntimeException e) {
      logger.log(Level.FINE, "cannot open segment " + path, e);
      return null;
    }
  }

  /**
   * When the file was truncated, or the path now names another file and the one we read is
   * drained and done (its writer closed it, or died: a writer replaces only a dead creator's
   * segment), wait for the next one at the path.
   */
  private void checkReplaced(SegmentDrainer current) {
    Segment segment = current.segment();
    if (truncated(segment)) {
      detach(current, false, "segment " + path + " was truncated under the reader; detached,"
          + " will attach again");
      return;
    }
    boolean closed = segment.state() == Abi.SEGMENT_CLOSED;
    boolean drained = current.isEmpty();
    deliverPendingFault(); // before any I/O below
    if (!drained || !pipeline.isIdle()) {
      return;
    }
    Object key = null;
    try {
      var attributes = Files.readAttributes(path, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
      key = attributes.get("ino") + ":" + attributes.get("dev");
    } catch (IOException | RuntimeException e) {
      // gone
    }
    if (segment.fileKey().equals(key)) {
      return; // still the file at the path
    }
    if (closed || !ProcessLiveness.isAlive(segment.creatorPid(), segment.creatorStartTicks(),
        segment.bootId())) {
      logger.fine("segment " + path + " was replaced or removed; detached");
      detach(current, true, null);
    }
  }

  /**
   * Gives the segment up. {@code readCounters}: read its counters one last time (only when the
   * mapping is known to be whole); otherwise keep those read last. {@code warning}: why, logged.
   */
  private void detach(SegmentDrainer attached, boolean readCounters, @Nullable String warning) {
    NativeCounts last = null;
    if (readCounters) {
      try {
        last = NativeCounts.read(attached.segment());
        deliverPendingFault();
      } catch (InternalError | IndexOutOfBoundsException e) {
        last = null;
      }
    }
    synchronized (lock) {
      if (drainer == attached) {
        retired = retired.plus(last != null ? last : current);
        current = NativeCounts.ZERO;
        published = retired;
        drainer = null;
      }
    }
    try {
      attached.segment().close();
    } catch (IOException e) {
      logger.log(Level.FINE, "closing segment " + path, e);
    }
    if (warning != null) {
      logger.warning(warning);
    }
  }

  private void finish() {
    // From close(), not from when this thread noticed it: close() waits for exactly this.
    long deadline = closing ? closeDeadlineNanos : System.nanoTime() + closeTimeoutNanos;
    SegmentDrainer attached = drainer;
    if (attached != null && truncated(attached.segment())) {
      detach(attached, false, "segment " + path + " was truncated; not drained at close");
      attached = null;
    }
    if (attached != null) {
      // Drain until the rings are empty, waiting for queue space (back-pressure) as needed.
      try {
        while (System.nanoTime() - deadline < 0) {
          int work = attached.drain(pipeline);
          boolean empty = attached.isEmpty();
          deliverPendingFault();
          pipeline.sealNow();
          work += pipeline.poll(System.nanoTime());
          if (empty) {
            break;
          }
          if (work == 0) {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
          }
        }
        publishCounts(attached, System.nanoTime());
        deliverPendingFault();
      } catch (InternalError | IndexOutOfBoundsException e) {
        detach(attached, false, "segment " + path + " became unreadable during close (" + e
            + "); what was drained is exported");
      }
    }
    pipeline.finish(deadline, closeTimeoutNanos);
  }
}
