package dev.weft.internal.export;

import dev.weft.internal.Counters;
import dev.weft.internal.JvmShutdown;
import dev.weft.internal.decode.Acknowledgeable;
import dev.weft.internal.decode.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Batches decoded spans and hands them to the {@link SpanExporter}, the way the SDK's
 * BatchSpanProcessor does (size- or delay-triggered batches, a bounded number of queued spans),
 * but driven by the collector thread itself, with up to {@code maxConcurrentExports} exports in
 * flight, and with a choice of what a full queue does:
 *
 * <ul>
 *   <li>back-pressure (default): the collector stops draining and the records wait in the native
 *       rings, which are already a bounded buffer; if they fill, the native side drops and counts
 *       ({@code dropped_ring_full});
 *   <li>drop: a span that finds the queue full is dropped and counted ({@code queueOverflow}).
 * </ul>
 *
 * <p>At-least-once: the ring space of what was read is released ({@link #readUpTo}) only once
 * every batch sealed before it is answered, in order, by a success or by a counted give-up. A
 * failed export (after the exporter's own retries: the OTLP exporters retry UNAVAILABLE and the
 * other retryable codes) is not dropped: it counts its spans in {@code exportRetries}, records
 * its error ({@code lastExportError}) and is exported again after a back-off doubling from
 * {@value #RETRY_MIN_BACKOFF_MILLIS} ms to {@link #retryMaxBackoffNanos}; meanwhile the queue
 * stays full, the collector stops draining and the rings fill (the native side then drops and
 * counts {@code dropped_ring_full}). Only at close are spans given up: those not exported by the
 * close deadline count in {@code exportFailures}. The first failure, and
 * exports still unanswered at the close deadline, are logged once as one WARNING line naming
 * the endpoint, the error and what to check; the first success after that is logged once at
 * INFO, and a later failure is logged again. Memory is bounded by {@code maxQueueSize} spans.
 */
public final class ExportPipeline implements SpanSink {
  private static final Logger logger = Logger.getLogger(ExportPipeline.class.getName());

  private final SpanExporter exporter;
  private final Counters counters;
  private final int maxQueueSize;
  private final int maxBatchSize;
  private final int maxConcurrentExports;
  private final long scheduleDelayNanos;
  private final boolean dropWhenFull;
  private final String destination;
  // true from a failure until the next success: the failure was logged (once).
  private final AtomicBoolean failing = new AtomicBoolean();

  /** The first retry of a failed export waits this long; each next one twice as long. */
  public static final long RETRY_MIN_BACKOFF_MILLIS = 100;
  /** The longest wait before a retry, by default: {@value} ms. */
  public static final long DEFAULT_RETRY_MAX_BACKOFF_MILLIS = 1_000;

  /** Spans exported together, and the ring positions their export acknowledges. */
  private static final class Batch {
    final ArrayList<SpanData> spans;
    private Acknowledgeable[] targets = new Acknowledgeable[4];
    private int[] slots = new int[4];
    private long[] positions = new long[4];
    private int marks;
    int attempts;
    long retryAtNanos;
    /** Collector thread: answered by a success or given up; its marks may be applied. */
    boolean finished;
    /** Set by the callback before it queues the batch as completed. */
    volatile boolean succeeded;
    @Nullable volatile String error;
    /** Counted in exportFailures at close; a later answer counts nothing more. */
    volatile boolean givenUp;

    Batch(int capacity) {
      spans = new ArrayList<>(capacity);
    }

    void mark(Acknowledgeable target, int slot, long position) {
      if (marks == slots.length) {
        targets = Arrays.copyOf(targets, marks * 2);
        slots = Arrays.copyOf(slots, marks * 2);
        positions = Arrays.copyOf(positions, marks * 2);
      }
      targets[marks] = target;
      slots[marks] = slot;
      positions[marks] = position;
      marks++;
    }

    void acknowledge() {
      for (int i = 0; i < marks; i++) {
        targets[i].acknowledge(slots[i], positions[i]);
        targets[i] = null;
      }
      marks = 0;
    }
  }

  // Collector thread only.
  /** Sealed batches waiting to be exported (retries at the front, not before their time). */
  private final ArrayDeque<Batch> ready = new ArrayDeque<>();
  /** Every sealed batch not yet finished, in the order sealed: acknowledgements follow it. */
  private final ArrayDeque<Batch> outstanding = new ArrayDeque<>();
  private int readySpans;
  private Batch current;
  private long currentSinceNanos;
  private final long retryMaxBackoffNanos;

  // Shared with exporter callbacks.
  private final ConcurrentLinkedQueue<Batch> completed = new ConcurrentLinkedQueue<>();
  /** Set once the collector thread no longer polls: callbacks then finish batches themselves. */
  private volatile boolean stopped;

  // Shared with exporter callbacks.
  private final AtomicInteger inFlightSpans = new AtomicInteger();
  private final AtomicInteger inFlightExports = new AtomicInteger();
  private final Set<CompletableResultCode> inFlight = ConcurrentHashMap.newKeySet();
  @Nullable private volatile Thread owner;

  public ExportPipeline(SpanExporter exporter, Counters counters, int maxQueueSize, int maxBatchSize,
      int maxConcurrentExports, long scheduleDelayNanos, boolean dropWhenFull) {
    this(exporter, counters, maxQueueSize, maxBatchSize, maxConcurrentExports, scheduleDelayNanos,
        dropWhenFull, TimeUnit.MILLISECONDS.toNanos(DEFAULT_RETRY_MAX_BACKOFF_MILLIS));
  }

  public ExportPipeline(SpanExporter exporter, Counters counters, int maxQueueSize, int maxBatchSize,
      int maxConcurrentExports, long scheduleDelayNanos, boolean dropWhenFull,
      long retryMaxBackoffNanos) {
    this.retryMaxBackoffNanos = Math.max(retryMaxBackoffNanos,
        TimeUnit.MILLISECONDS.toNanos(RETRY_MIN_BACKOFF_MILLIS));
    this.exporter = exporter;
    this.counters = counters;
    this.maxQueueSize = maxQueueSize;
    this.maxBatchSize = maxBatchSize;
    this.maxConcurrentExports = maxConcurrentExports;
    this.scheduleDelayNanos = scheduleDelayNanos;
    this.dropWhenFull = dropWhenFull;
    this.current = new Batch(maxBatchSize);
    this.destination = destination(exporter);
  }

  private static final Pattern ENDPOINT = Pattern.compile("endpoint=([^,}\\s]+)");

  /** The endpoint(s) in the exporter's description (the OTLP exporters print theirs), else it. */
  static String destination(SpanExporter exporter) {
    String description = String.valueOf(exporter);
    Matcher m = ENDPOINT.matcher(description);
    List<String> endpoints = new ArrayList<>();
    while (m.find()) {
      endpoints.add(m.group(1));
    }
    if (!endpoints.isEmpty()) {
      return String.join(", ", endpoints);
    }
    return description.length() <= 200 ? description : description.substring(0, 199) + "…";
  }

  /** Records an export failure; logs it if it is the first since the last success. */
  void failed(String error, long spans) {
    long now = System.currentTimeMillis();
    if (failing.compareAndSet(false, true)) {
      warn("weft: cannot export native spans to " + destination + ": " + error
          + " (" + spans + " spans in this export). Check that the backend is up and reachable"
          + " at that address (OTEL_EXPORTER_OTLP_ENDPOINT / otel.exporter.otlp.endpoint,"
          + " OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_EXPORTER). Nothing is lost while the"
          + " collector runs: the export is retried (WeftStats.exportRetries()) and the native"
          + " rings hold what follows, then drop and count (WeftStats.droppedRingFull()); spans"
          + " still unexported at close count in WeftStats.exportFailures(). This is logged"
          + " once, and again after a recovery.");
    }
    counters.exportError(error, now);
  }

  /**
   * Called by the thread that closes the collector once it has waited its deadline: exports
   * still unanswered are reported (once, as a failure) even if the collector thread, late under
   * load, has not reported them itself yet.
   *
   * @return true if exports were unanswered
   */
  public boolean reportUnansweredAtClose(long closeTimeoutNanos) {
    int unanswered = inFlightSpans.get();
    if (unanswered > 0) {
      failed("no answer to " + inFlightExports.get() + " export(s) within the close timeout ("
          + TimeUnit.NANOSECONDS.toMillis(closeTimeoutNanos) + " ms): " + unanswered
          + " spans given up", unanswered);
    }
    return unanswered > 0;
  }

  /**
   * Logs at WARNING; straight to standard error while the JVM shuts down, or if
   * java.util.logging has no handler for it: its LogManager resets the handlers in a shutdown
   * hook of its own, which may run before or during the collector's, and the line would be lost.
   */
  private static void warn(String message) {
    if (!JvmShutdown.inProgress() && hasHandler(logger)) {
      logger.warning(message);
    } else {
      System.err.println("WARNING: " + message);
      System.err.flush();
    }
  }

  private static boolean hasHandler(Logger start) {
    for (Logger l = start; l != null; l = l.getParent()) {
      if (l.getHandlers().length > 0) {
        return true;
      }
      if (!l.getUseParentHandlers()) {
        return false;
      }
    }
    return false;
  }

  private void succeeded() {
    if (failing.compareAndSet(true, false)) {
      logger.info("weft: exporting native spans to " + destination + " works again ("
          + counters.exportRetries() + " spans retried in all)");
    }
  }

  private static String describe(CompletableResultCode result) {
    Throwable error = result.getFailureThrowable();
    if (error == null) {
      return "the exporter reported a failure";
    }
    Throwable cause = error.getCause() != null ? error.getCause() : error;
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** The thread to wake when an export completes. */
  public void setOwner(Thread owner) {
    this.owner = owner;
  }

  private int queued() {
    return current.spans.size() + readySpans + inFlightSpans.get();
  }

  @Override
  public boolean canAccept() {
    return dropWhenFull || queued() < maxQueueSize;
  }

  @Override
  public void accept(SpanData span) {
    if (queued() >= maxQueueSize) {
      counters.queueOverflowed();
      return;
    }
    if (current.spans.isEmpty()) {
      currentSinceNanos = System.nanoTime();
    }
    current.spans.add(span);
    if (current.spans.size() >= maxBatchSize) {
      seal();
    }
  }

  /**
   * The acknowledgement goes with the newest batch: it is applied once that batch and every one
   * sealed before it are finished. With none outstanding, everything read before is done with.
   */
  @Override
  public void readUpTo(Acknowledgeable target, int slot, long position) {
    if (!current.spans.isEmpty()) {
      current.mark(target, slot, position);
    } else if (!outstanding.isEmpty()) {
      outstanding.peekLast().mark(target, slot, position);
    } else {
      target.acknowledge(slot, position);
    }
  }

  private void seal() {
    if (!current.spans.isEmpty()) {
      ready.add(current);
      outstanding.add(current);
      readySpans += current.spans.size();
      current = new Batch(maxBatchSize);
    }
  }

  /** Collector thread: answers that came in; failures are scheduled again, unless given up. */
  private int processCompleted(long nowNanos) {
    int work = 0;
    Batch batch;
    while ((batch = completed.poll()) != null) {
      work++;
      if (batch.succeeded || batch.givenUp) {
        batch.finished = true;
      } else {
        counters.exportRetried(batch.spans.size());
        batch.attempts++;
        long backoff = TimeUnit.MILLISECONDS.toNanos(RETRY_MIN_BACKOFF_MILLIS)
            << Math.min(batch.attempts - 1, 20);
        batch.retryAtNanos = nowNanos + Math.min(backoff, retryMaxBackoffNanos);
        readySpans += batch.spans.size();
        ready.addFirst(batch);
      }
    }
    while (!outstanding.isEmpty() && outstanding.peekFirst().finished) {
      outstanding.pollFirst().acknowledge();
    }
    return work;
  }

  /** Callbacks after the collector thread stopped: a failure then is final. */
  private void finishStopped() {
    Batch batch;
    while ((batch = completed.poll()) != null) {
      if (!batch.succeeded && !batch.givenUp) {
        batch.givenUp = true;
        counters.exportFailed(batch.spans.size());
      }
    }
  }

  /**
   * Seals a batch that has waited {@code scheduleDelay}, and starts exports while fewer than
   * {@code maxConcurrentExports} are in flight.
   *
   * @return the number of exports started
   */
  public int poll(long nowNanos) {
    int work = processCompleted(nowNanos);
    if (!current.spans.isEmpty() && nowNanos - currentSinceNanos >= scheduleDelayNanos) {
      seal();
    }
    while (!ready.isEmpty() && inFlightExports.get() < maxConcurrentExports
        && nowNanos - ready.peekFirst().retryAtNanos >= 0) {
      export(ready.poll());
      work++;
    }
    return work;
  }

  /** True when nothing is queued, in flight or waiting to be acknowledged. */
  public boolean isIdle() {
    return current.spans.isEmpty() && ready.isEmpty() && inFlightExports.get() == 0
        && outstanding.isEmpty() && completed.isEmpty();
  }

  /** Seals the current batch so that the next {@link #poll} exports it at once. */
  public void sealNow() {
    seal();
  }

  private void export(Batch batch) {
    int size = batch.spans.size();
    readySpans -= size;
    inFlightSpans.addAndGet(size);
    inFlightExports.incrementAndGet();
    CompletableResultCode result;
    InternalError lateFault = null;
    try {
      result = exporter.export(Collections.unmodifiableList(batch.spans));
    } catch (RuntimeException e) {
      logger.log(Level.FINE, "span exporter threw", e);
      result = CompletableResultCode.ofExceptionalFailure(e);
    } catch (InternalError e) {
      // A fault of a truncated mapping that the JVM delivered late, here (JDK 17, compiled code):
      // not the exporter's doing. The batch is counted as failed below, so the in-flight
      // bookkeeping stays exact, and the fault goes on to the collector loop, which detaches.
      lateFault = e;
      result = CompletableResultCode.ofExceptionalFailure(e);
    }
    inFlight.add(result);
    CompletableResultCode completed = result;
    result.whenComplete(() -> {
      // The in-flight bookkeeping first and unconditionally: a mapping fault the JVM delivers
      // late on the collector thread (JDK 17) may interrupt the reporting below, and a count left
      // behind would hold back every later export.
      inFlightSpans.addAndGet(-size);
      inFlightExports.decrementAndGet();
      inFlight.remove(completed);
      try {
        if (completed.isSuccess()) {
          if (!batch.givenUp) {
            counters.exported(size);
          }
          batch.succeeded = true;
          succeeded();
        } else {
          failed(describe(completed), size);
        }
      } finally {
        this.completed.add(batch);
        if (stopped) {
          finishStopped();
        }
        Thread thread = owner;
        if (thread != null) {
          LockSupport.unpark(thread);
        }
      }
    });
    if (lateFault != null) {
      throw lateFault;
    }
  }

  /**
   * At close: exports everything queued, waiting for export slots, until {@code deadlineNanos};
   * then waits for the exports in flight. Spans still queued at the deadline are counted as
   * export failures.
   */
  public void finish(long deadlineNanos, long closeTimeoutNanos) {
    seal();
    // Export and retry until everything is acknowledged or the deadline passes.
    while (!outstanding.isEmpty()) {
      poll(System.nanoTime());
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0 || outstanding.isEmpty()) {
        break;
      }
      LockSupport.parkNanos(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
    }
    int notSent = readySpans;
    if (notSent > 0) {
      counters.exportFailed(notSent);
      for (Batch batch : ready) {
        batch.givenUp = true;
      }
      ready.clear();
      readySpans = 0;
    }
    // From here on, a failure in flight is final: the callback counts it.
    stopped = true;
    finishStopped();
    int unanswered = inFlightSpans.get();
    if (unanswered > 0 || notSent > 0) {
      // Unanswered exports are given up: counted if and when the exporter fails them.
      failed("no answer to " + inFlightExports.get() + " export(s) within the close timeout ("
          + TimeUnit.NANOSECONDS.toMillis(closeTimeoutNanos) + " ms): " + unanswered
          + " spans given up, " + notSent + " not sent", unanswered + notSent);
    }
  }
}
