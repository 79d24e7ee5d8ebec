package dev.weft.internal;

import dev.weft.WeftCollectorBuilder;
import dev.weft.internal.export.ExportPipeline;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.DirectoryWatch;
import dev.weft.internal.segment.Faults;
import dev.weft.internal.segment.InvalidSegmentException;
import dev.weft.internal.segment.Lease;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.annotation.concurrent.GuardedBy;

/**
 * The collector thread: waits for the segment, takes its lease (one collector per segment,
 * across processes), drains every ring into the export pipeline with a back-off idle strategy
 * (ring space released only on acknowledgement), re-attaches when the segment is replaced,
 * detaches at its end of data (closed, or its creator died), and on close drains what is left
 * and exports it within a deadline. At the JVM's exit it first fences the process's own segment,
 * and afterwards marks it closed and removes it; a collector closed earlier leaves this
 * process's own segment live for the next collector, since libweft keeps recording into it.
 */
public final class CollectorEngine {
  private static final Logger logger = Logger.getLogger(CollectorEngine.class.getName());

  /**
   * Settings, validated by the public builder, which sets every one; each starts at the
   * builder's default (what the warm-up's own collector runs with).
   */
  public static final class Settings {
    public Path segmentPath;
    public Resource resource;
    public SpanExporter exporter;
    public int maxQueueSize = WeftCollectorBuilder.DEFAULT_MAX_QUEUE_SIZE;
    public int maxExportBatchSize = WeftCollectorBuilder.DEFAULT_MAX_EXPORT_BATCH_SIZE;
    public int maxConcurrentExports = WeftCollectorBuilder.DEFAULT_MAX_CONCURRENT_EXPORTS;
    public long scheduleDelayNanos =
        TimeUnit.MILLISECONDS.toNanos(WeftCollectorBuilder.DEFAULT_SCHEDULE_DELAY_MILLIS);
    public boolean dropWhenQueueFull;
    public long closeTimeoutNanos =
        TimeUnit.MILLISECONDS.toNanos(WeftCollectorBuilder.DEFAULT_CLOSE_TIMEOUT_MILLIS);
    public long segmentPollNanos =
        TimeUnit.MILLISECONDS.toNanos(WeftCollectorBuilder.DEFAULT_SEGMENT_POLL_MILLIS);
    public long idleMaxSpins = WeftCollectorBuilder.DEFAULT_IDLE_MAX_SPINS;
    public long idleMaxYields = WeftCollectorBuilder.DEFAULT_IDLE_MAX_YIELDS;
    public long idleMinParkNanos =
        TimeUnit.MICROSECONDS.toNanos(WeftCollectorBuilder.DEFAULT_IDLE_MIN_PARK_MICROS);
    public long idleMaxParkNanos =
        TimeUnit.MILLISECONDS.toNanos(WeftCollectorBuilder.DEFAULT_IDLE_MAX_PARK_MILLIS);
    /** At close: how long the ACTIVE slots' tails must be stable after the fence. */
    public long shutdownGraceNanos = TimeUnit.MILLISECONDS.toNanos(50);
    /** A lease holder silent for longer may be taken over. */
    public long leaseTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(Lease.DEFAULT_TIMEOUT_MILLIS);
    /** The longest wait before a failed export is retried. */
    public long retryMaxBackoffNanos =
        TimeUnit.MILLISECONDS.toNanos(ExportPipeline.DEFAULT_RETRY_MAX_BACKOFF_MILLIS);
    /** Told when a dead creator's segment was drained to its end; null: left for recovery. */
    @Nullable public SegmentEndListener segmentEndListener;
  }

  private final Path path;
  // Collector thread only: native drops said once per reason, per attached segment.
  private NativeDropReport dropReport = new NativeDropReport();
  @Nullable private SegmentDrainer dropReportFor;
  private final Resource resource;
  private final Counters counters = new Counters();
  private final ExportPipeline pipeline;
  /** The pipeline's exporter, for the warm-up ({@link WarmUp}). */
  private final SpanExporter exporter;
  private final BackoffIdleStrategy idle;
  @Nullable private volatile BooleanSupplier periodicTask;
  private long nextPeriodicTaskNanos = System.nanoTime();
  private final long segmentPollNanos;
  private final long closeTimeoutNanos;
  private final long shutdownGraceNanos;
  private final long leaseTimeoutNanos;
  @Nullable private final SegmentEndListener segmentEndListener;
  private final Thread thread;
  private final CountDownLatch finished = new CountDownLatch(1);
  /** The engines of this JVM whose thread has not finished. */
  private static final Set<CollectorEngine> running = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();

  private volatile boolean closing;
  // Set by close() before closing: the final drain and export end by then.
  private volatile long closeDeadlineNanos;
  @Nullable private volatile SegmentDrainer drainer;
  @Nullable private volatile String refusal;

  @GuardedBy("lock")
  private NativeCounts retired = NativeCounts.ZERO;
  /** The file detached last and its counters in {@link #retired}: attached again, not twice. */
  @GuardedBy("lock")
  @Nullable
  private Object lastRetiredKey;
  @GuardedBy("lock")
  private NativeCounts lastRetired = NativeCounts.ZERO;
  /** The current segment's counters as last read by the collector thread. */
  @GuardedBy("lock")
  private NativeCounts current = NativeCounts.ZERO;
  /** {@code retired + current}, for readers on other threads (they never read the mapping). */
  private volatile NativeCounts published = NativeCounts.ZERO;
  /** Every counter, read together by the collector thread (see {@link CounterSnapshot}). */
  private volatile CounterSnapshot snapshot = CounterSnapshot.ZERO;
  private volatile boolean threadDone;

  // Collector thread only.
  private long nextSegmentCheckNanos;
  private long nextCountsNanos;
  /** The lease of {@link #drainer}'s segment; null while detached. */
  @Nullable private Lease lease;
  @Nullable private SegmentDrainer leaseOf;
  /** The holder that refused us last (logged once per holder). */
  private int refusedBy = -1;
  /**
   * A file whose data ended (its creator died, and it was drained): not attached again while it
   * is the same (same inode and the tails as they were; an inode number may be reused).
   */
  @Nullable private Object endedFileKey;
  private long endedTails;
  /** Wakes this thread when the segment's file appears, while detached; null when attached. */
  @Nullable private DirectoryWatch watch;
  /** The directory cannot be watched (logged at FINE): polling only. */
  private boolean watchUnavailable;
  /** The last look found the file not ready (being created): look again after this. */
  private long notReadyWaitNanos;
  /** Set by {@link #tryAttach()}: the file is there but its creator has not finished it. */
  private boolean lastAttachNotReady;
  private static final long FIRST_NOT_READY_WAIT_NANOS = 1_000_000;
  private static final long OWN_START_TICKS =
      ProcessLiveness.startTicks((int) ProcessHandle.current().pid());

  public CollectorEngine(Settings settings, String threadName) {
    this.path = Objects.requireNonNull(settings.segmentPath, "segmentPath");
    this.resource = Objects.requireNonNull(settings.resource, "resource");
    this.pipeline = new ExportPipeline(settings.exporter, counters, settings.maxQueueSize,
        settings.maxExportBatchSize, settings.maxConcurrentExports, settings.scheduleDelayNanos,
        settings.dropWhenQueueFull, settings.retryMaxBackoffNanos);
    this.shutdownGraceNanos = settings.shutdownGraceNanos;
    this.leaseTimeoutNanos = settings.leaseTimeoutNanos;
    this.segmentEndListener = settings.segmentEndListener;
    // Records may wait in the rings for a fraction of the batch delay (they wait that long in
    // the batch anyway), and never longer than the segment poll interval.
    this.idle = new BackoffIdleStrategy(settings.idleMaxSpins, settings.idleMaxYields,
        settings.idleMinParkNanos, settings.idleMaxParkNanos,
        Math.min(settings.segmentPollNanos, settings.scheduleDelayNanos / 2));
    this.segmentPollNanos = settings.segmentPollNanos;
    this.exporter = settings.exporter;
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
    running.add(this);
    thread.start();
    WarmUp.start(exporter, resource, thread.getName());
  }

  /** Spans drained so far by the collectors of this JVM running now, {@code except} left out. */
  static long spansDrainedByOthers(CollectorEngine except) {
    long drained = 0;
    for (CollectorEngine engine : running) {
      if (engine != except) {
        drained += engine.counters.spansDrained();
      }
    }
    return drained;
  }

  /** Whether a collector of this JVM runs on {@code path} now (not yet finished closing). */
  static boolean runningOn(Path path) {
    for (CollectorEngine engine : running) {
      if (engine.path.equals(path)) {
        return true;
      }
    }
    return false;
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
   * Every counter in one consistent snapshot ({@code exported + failures <= drained <=
   * committed}), as the collector thread last read them; once the thread has ended, read now.
   */
  public CounterSnapshot snapshot() {
    if (threadDone) {
      return new CounterSnapshot.Partial(counters).with(published);
    }
    return snapshot;
  }

  /** Collector thread: publishes the counters with the native ones as known now. */
  private void publishSnapshot(CounterSnapshot.Partial partial, NativeCounts natives) {
    snapshot = partial.with(natives);
  }

  /**
   * Collector thread: reads the current segment's counters and publishes the sum, unless the
   * file was truncated under the reads (then they may be what a faulting access left in a
   * register, not the counters: the fault is not always delivered at once, see {@link Faults}).
   *
   * @throws InternalError if the mapping faulted or the file is now shorter than the mapping
   */
  private void publishCounts(SegmentDrainer attached, long now) {
    CounterSnapshot.Partial partial = new CounterSnapshot.Partial(counters);
    NativeCounts read = NativeCounts.read(attached.segment());
    deliverPendingFault(); // counters read from a faulting mapping are not published
    attached.segment().requireWhole();
    if (dropReportFor != attached) { // a segment (a process) of its own: say it again for it
      dropReportFor = attached;
      dropReport = new NativeDropReport();
    }
    dropReport.check(read, path, attached.segment().slotCount(),
        attached.segment().ringCapacity());
    synchronized (lock) {
      if (drainer == attached) {
        current = read;
        published = retired.plus(read);
        publishSnapshot(partial, published);
      }
    }
    nextCountsNanos = now + segmentPollNanos;
  }

  /** Collector thread, while detached: the collector's counters with the retired ones. */
  private void publishDetached() {
    CounterSnapshot.Partial partial = new CounterSnapshot.Partial(counters);
    synchronized (lock) {
      if (drainer == null) {
        publishSnapshot(partial, published);
      }
    }
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
      stopWatching();
      threadDone = true;
      running.remove(this);
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
          if (attached == null && watchFor()) {
            attached = tryAttach(); // created between the look above and the watch
          }
          if (attached == null) {
            pipeline.poll(System.nanoTime());
            publishDetached();
            runPeriodicTask(System.nanoTime());
            LockSupport.parkNanos(this, detachedWaitNanos());
            continue;
          }
        }
        if (!holdLease(attached, System.nanoTime())) {
          if (drainer == attached) {
            // Waiting for another process's collector: look again at the next poll. Its
            // counters are still read (read-only), so that stats show what is recorded.
            pipeline.poll(System.nanoTime());
            publishCounts(attached, System.nanoTime());
            runPeriodicTask(System.nanoTime());
            LockSupport.parkNanos(this, segmentPollNanos);
          }
          continue;
        }
        double fill = attached.maxFill();
        int work = idle.drainDue(fill, System.nanoTime()) ? attached.drain(pipeline) : 0;
        if (attached.underPressure()) {
          pipeline.sealNow(); // a ring is half full of unacknowledged records: export them now
        }
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

  /**
   * Takes or keeps the lease of the attached segment. Collector thread.
   *
   * @return true if this collector holds it and may drain; false if another process's collector
   *     holds it (logged once per holder; the caller waits a poll interval), or if it was lost
   *     (taken over after a stall: the collector detached at once and said so)
   */
  private boolean holdLease(SegmentDrainer attached, long now) {
    if (leaseOf != attached || lease == null) {
      lease = new Lease(attached.segment(), leaseTimeoutNanos);
      leaseOf = attached;
    }
    Lease l = lease;
    if (l.isHeld()) {
      if (l.check(now)) {
        return true;
      }
      detach(attached, false, "weft: the lease of segment " + path + " was taken over by"
          + " another collector (this one stalled for longer than the lease timeout, "
          + TimeUnit.NANOSECONDS.toMillis(leaseTimeoutNanos) + " ms): stopped draining at once;"
          + " waits to take it again when that collector stops");
      return false;
    }
    Lease.Refusal refusal = l.tryAcquire(now);
    deliverPendingFault();
    if (refusal != null) {
      Segment segment = attached.segment();
      if (!segment.fileKey().equals(fileKeyAtPath()) || truncated(segment)) {
        // Replaced, removed or truncated while we waited: attach to what the path holds now.
        detach(attached, false, null);
        return false;
      }
      if (refusal.holderPid != refusedBy) {
        refusedBy = refusal.holderPid;
        logger.warning("weft: " + refusal.message);
      }
      return false;
    }
    if (refusedBy != -1) {
      logger.info("weft: took the lease of segment " + path + "; collecting it now");
    }
    refusedBy = -1;
    long from = l.tookOverFrom();
    if (from != 0) {
      logger.info("weft: took over segment " + path + " from pid " + Lease.pidOf(from)
          + ", whose collector is gone or silent");
    }
    if (attached.hasRedelivery()) {
      logger.info("weft: segment " + path + " holds spans read by an earlier collector and not"
          + " acknowledged: they are exported again and counted in WeftStats.redelivered()"
          + " (they may arrive twice)");
    }
    return true;
  }

  /** Creator pid and start ticks are this process's: the segment of this process's libweft. */
  private static boolean createdByThisProcess(Segment segment) {
    return segment.creatorPid() == (int) ProcessHandle.current().pid()
        && OWN_START_TICKS >= 0 && segment.creatorStartTicks() == OWN_START_TICKS;
  }

  /**
   * Collector thread, detached: starts watching the segment's directory unless it is watched or
   * cannot be, so that the segment is attached when it is created, not at the next poll.
   *
   * @return true if the watch started now
   */
  private boolean watchFor() {
    if (watch != null || watchUnavailable) {
      return false;
    }
    Path directory = path.toAbsolutePath().getParent();
    Path name = path.getFileName();
    Thread self = thread;
    watch = directory == null || name == null ? null : DirectoryWatch.start(directory,
        name::equals, () -> LockSupport.unpark(self), thread.getName() + "-watch");
    watchUnavailable = watch == null;
    return watch != null;
  }

  private void stopWatching() {
    DirectoryWatch current = watch;
    watch = null;
    if (current != null) {
      current.close();
    }
  }

  /**
   * How long a detached collector parks: the poll interval (the watch wakes it sooner when the
   * file appears), or, while the file is there but still being created, 1 ms doubling up to it.
   */
  private long detachedWaitNanos() {
    if (!lastAttachNotReady) {
      notReadyWaitNanos = 0;
      return segmentPollNanos;
    }
    notReadyWaitNanos = notReadyWaitNanos == 0 ? FIRST_NOT_READY_WAIT_NANOS
        : Math.min(notReadyWaitNanos * 2, segmentPollNanos);
    return Math.min(notReadyWaitNanos, segmentPollNanos);
  }

  @Nullable
  private SegmentDrainer tryAttach() {
    lastAttachNotReady = false;
    try {
      Segment opened = Segment.open(path);
      if (opened.state() == Abi.SEGMENT_RECOVERED || (opened.fileKey().equals(endedFileKey)
          && SegmentDrainer.tailSum(opened) == endedTails)) {
        // Its data ended and was drained (or a recoverer exported it): nothing to read.
        deliverPendingFault();
        opened.close();
        return null;
      }
      SegmentDrainer attached = new SegmentDrainer(opened, resource, counters);
      synchronized (lock) {
        if (opened.fileKey().equals(lastRetiredKey)) {
          // The same file again (after a lost lease or a fault): its counters count once.
          retired = retired.minus(lastRetired);
          lastRetiredKey = null;
        }
        current = NativeCounts.ZERO;
        drainer = attached;
      }
      refusal = null;
      idle.reset();
      stopWatching();
      logger.fine("attached to segment " + path);
      return attached;
    } catch (NoSuchFileException e) {
      return null;
    } catch (InvalidSegmentException e) {
      lastAttachNotReady = e.isNotReadyYet();
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
    boolean creatorAlive = closed || ProcessLiveness.isAlive(segment.creatorPid(),
        segment.creatorStartTicks(), segment.bootId());
    if (!segment.fileKey().equals(key)) {
      if (closed || !creatorAlive) {
        logger.fine("segment " + path + " was replaced or removed; detached");
        detach(current, true, null);
      }
      return;
    }
    // Still the file at the path: its end of data, once closed or its creator is dead.
    if (closed) {
      if (current.isAcknowledged()) {
        releaseLease(current);
        unlinkIf(segment, key);
      }
      logger.fine("segment " + path + " is closed and drained; detached");
      detach(current, true, null);
    } else if (!creatorAlive) {
      endedFileKey = key;
      endedTails = current.tailSum();
      deliverPendingFault();
      detach(current, true, null);
      SegmentEndListener listener = segmentEndListener;
      if (listener != null) {
        try {
          listener.creatorDiedAndDrained(path, segment.creatorPid(), segment.creatorStartTicks());
        } catch (RuntimeException e) {
          logger.log(Level.WARNING, "weft: recovery of segment " + path + " failed", e);
        }
      } else {
        logger.info("weft: the process that created segment " + path + " (pid "
            + segment.creatorPid() + ") ended without closing it; its finished spans were"
            + " exported, the spans it left open are left in the file for crash recovery (`weft"
            + " recover`)");
      }
    }
  }

  /** Gives the lease up now (while the file is still at the path, before it is removed). */
  private void releaseLease(SegmentDrainer attached) {
    if (lease != null && leaseOf == attached) {
      lease.release();
      deliverPendingFault();
    }
  }

  /** Removes the file if the path still names it (not a successor at the same path). */
  private void unlinkIf(Segment segment, @Nullable Object key) {
    if (key == null || !segment.fileKey().equals(key)) {
      return;
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      logger.log(Level.WARNING, "weft: cannot remove the closed segment " + path, e);
    }
  }

  @Nullable
  private Object fileKeyAtPath() {
    try {
      return Segment.fileKeyAt(path);
    } catch (IOException | RuntimeException e) {
      return null;
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
    // Only while the mapping is known to be whole: giving the lease up writes to it.
    if (readCounters && lease != null && leaseOf == attached) {
      try {
        lease.release();
        deliverPendingFault();
      } catch (InternalError | IndexOutOfBoundsException e) {
        // it will look dead or silent to the next collector
      }
    }
    attached.detach();
    if (leaseOf == attached) {
      lease = null;
      leaseOf = null;
    }
    synchronized (lock) {
      if (drainer == attached) {
        lastRetired = last != null ? last : current;
        lastRetiredKey = attached.segment().fileKey();
        retired = retired.plus(lastRetired);
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

  /**
   * The final drain: attaches if the thread never did; fences this process's own segment, waits
   * until its ACTIVE slots' tails are stable for the grace period, drains to the tail, exports
   * and waits for the acknowledgements; then marks the segment closed and removes it when
   * everything read was acknowledged (and it is ours, or its creator is gone or closed).
   */
  private void finish() {
    // From close(), not from when this thread noticed it: close() waits for exactly this.
    long deadline = closing ? closeDeadlineNanos : System.nanoTime() + closeTimeoutNanos;
    SegmentDrainer attached = drainer;
    if (attached == null) {
      // Closed before the thread first attached (a library loaded just before a short program
      // ends): attach and drain once more.
      attached = tryAttach();
    }
    if (attached != null && truncated(attached.segment())) {
      detach(attached, false, "segment " + path + " was truncated; not drained at close");
      attached = null;
    }
    if (attached != null && !holdLease(attached, System.nanoTime())) {
      if (drainer == attached) {
        logger.fine("segment " + path + " is another collector's: not drained at close");
        detach(attached, true, null);
      }
      attached = null;
    }
    boolean ours = false;
    boolean ending = false;
    if (attached != null) {
      Segment segment = attached.segment();
      try {
        ours = createdByThisProcess(segment);
        // This process's native side ends only with the JVM (or when it closed the segment
        // itself): a collector closed before that leaves the segment live, for libweft, which
        // keeps recording into it, and for the next collector of this JVM.
        ending = ours && (JvmShutdown.inProgress() || segment.state() == Abi.SEGMENT_CLOSED);
        if (ending) {
          // Spans ended from now on are counted as dropped (shutdown), not recorded.
          segment.closeFence();
        }
        long lastTails = attached.tailSum();
        long stableSince = System.nanoTime();
        // Another process's live segment, or ours handed over live: its writer goes on, so the
        // close reads what was committed by now and spends the rest of the deadline on the
        // acknowledgements (chasing the tail would leave everything read unacknowledged).
        long[] mark = ending ? null : attached.tails();
        // Drain until the rings are empty (and, for our own ending segment, their tails stable
        // for the grace period), waiting for queue space (back-pressure) as needed.
        while (System.nanoTime() - deadline < 0) {
          int work = attached.drain(pipeline);
          boolean empty = attached.isEmpty();
          boolean readToMark = mark != null && attached.hasRead(mark);
          long tails = attached.tailSum();
          // Every mapping read of this pass is above: a fault they caused is delivered here, not
          // later in the exporter's call below (where it would leave an export unanswered).
          deliverPendingFault();
          long now = System.nanoTime();
          if (tails != lastTails) {
            lastTails = tails;
            stableSince = now;
          }
          pipeline.sealNow();
          work += pipeline.poll(now);
          if (ending ? empty && now - stableSince >= shutdownGraceNanos : empty || readToMark) {
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
        attached = null;
      }
    }
    // Export, retry and apply the acknowledgements (they store head) until the deadline.
    pipeline.finish(deadline, closeTimeoutNanos);
    if (attached != null && drainer == attached) {
      try {
        closeSegment(attached, ours, ending);
      } catch (InternalError | IndexOutOfBoundsException e) {
        detach(attached, false, "segment " + path + " became unreadable during close (" + e
            + ")");
      }
    }
  }

  /**
   * After the final export: this process's own segment at its end ({@code ending}), and a
   * segment its writer closed, are closed and removed when nothing read is left unacknowledged;
   * this process's own segment before the JVM's end is handed over, live, with the lease free.
   */
  private void closeSegment(SegmentDrainer attached, boolean ours, boolean ending) {
    Segment segment = attached.segment();
    publishCounts(attached, System.nanoTime());
    boolean done = attached.isAcknowledged() && attached.isEmpty();
    int state = segment.state();
    deliverPendingFault();
    boolean closed = state == Abi.SEGMENT_CLOSED;
    boolean creatorGone = !ours && !closed && !ProcessLiveness.isAlive(segment.creatorPid(),
        segment.creatorStartTicks(), segment.bootId());
    Object key = fileKeyAtPath();
    if (done && ending) {
      segment.stateRelease(Abi.SEGMENT_CLOSED);
      deliverPendingFault();
      releaseLease(attached);
      unlinkIf(segment, key);
    } else if (done && closed) {
      releaseLease(attached);
      unlinkIf(segment, key);
    } else if (ours && !ending) {
      // If no collector of this JVM runs at its exit, the exit closes the segment instead.
      OwnSegmentAtExit.register(path, shutdownGraceNanos, CollectorEngine::runningOn);
      logger.log(done ? Level.INFO : Level.WARNING, "weft: collector of segment " + path
          + " closed while this process's native Weft keeps recording: the segment stays live"
          + (done ? "" : ", with spans read but not exported by the close deadline (counted in"
              + " WeftStats.exportFailures(); exported again later, they may arrive twice)")
          + ". Spans recorded from now on wait in it for the next collector of this JVM (what"
          + " does not fit in a ring is dropped and counted); if none runs when the JVM exits,"
          + " the exit fences and removes the segment, or says what it leaves for `weft"
          + " recover`");
    } else if (!done && (ours || creatorGone || closed)) {
      logger.warning("weft: segment " + path + " keeps spans that were read but not exported"
          + " by the close deadline (counted in WeftStats.exportFailures()); it is left in"
          + " place so that `weft recover` or a later collector can export them (they may"
          + " then arrive twice)");
    }
    // A dead creator's LIVE segment, drained: its open spans are the recoverer's.
    detach(attached, true, null);
    if (done && creatorGone) {
      SegmentEndListener listener = segmentEndListener;
      if (listener != null) {
        try {
          listener.creatorDiedAndDrained(path, segment.creatorPid(), segment.creatorStartTicks());
        } catch (RuntimeException e) {
          logger.log(Level.WARNING, "weft: recovery of segment " + path + " failed", e);
        }
      }
    }
  }
}
