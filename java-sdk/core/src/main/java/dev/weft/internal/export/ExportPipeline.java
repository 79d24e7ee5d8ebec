package dev.weft.internal.export;

import dev.weft.internal.Counters;
import dev.weft.internal.decode.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Retries of transient failures are the exporter's (the OTLP exporters retry UNAVAILABLE and
 * the other retryable codes with exponential back-off). A failed export counts its spans in
 * {@code exportFailures} and records its error ({@code lastExportError}). The first failure, and
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

  // Collector thread only.
  private final ArrayDeque<ArrayList<SpanData>> ready = new ArrayDeque<>();
  private int readySpans;
  private ArrayList<SpanData> current;
  private long currentSinceNanos;

  // Shared with exporter callbacks.
  private final AtomicInteger inFlightSpans = new AtomicInteger();
  private final AtomicInteger inFlightExports = new AtomicInteger();
  private final Set<CompletableResultCode> inFlight = ConcurrentHashMap.newKeySet();
  @Nullable private volatile Thread owner;

  public ExportPipeline(SpanExporter exporter, Counters counters, int maxQueueSize, int maxBatchSize,
      int maxConcurrentExports, long scheduleDelayNanos, boolean dropWhenFull) {
    this.exporter = exporter;
    this.counters = counters;
    this.maxQueueSize = maxQueueSize;
    this.maxBatchSize = maxBatchSize;
    this.maxConcurrentExports = maxConcurrentExports;
    this.scheduleDelayNanos = scheduleDelayNanos;
    this.dropWhenFull = dropWhenFull;
    this.current = new ArrayList<>(maxBatchSize);
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
          + " OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_EXPORTER). Failed spans are counted in"
          + " WeftStats.exportFailures(); this is logged once, and again after a recovery.");
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
    if (!isShuttingDown() && hasHandler(logger)) {
      logger.warning(message);
    } else {
      System.err.println("WARNING: " + message);
      System.err.flush();
    }
  }

  private static boolean isShuttingDown() {
    Thread probe = new Thread(() -> {});
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true; // hooks can no longer be added: shutdown has begun
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
          + counters.exportFailures() + " spans failed in all)");
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
    return current.size() + readySpans + inFlightSpans.get();
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
    if (current.isEmpty()) {
      currentSinceNanos = System.nanoTime();
    }
    current.add(span);
    if (current.size() >= maxBatchSize) {
      seal();
    }
  }

  private void seal() {
    if (!current.isEmpty()) {
      ready.add(current);
      readySpans += current.size();
      current = new ArrayList<>(maxBatchSize);
    }
  }

  /**
   * Seals a batch that has waited {@code scheduleDelay}, and starts exports while fewer than
   * {@code maxConcurrentExports} are in flight.
   *
   * @return the number of exports started
   */
  public int poll(long nowNanos) {
    if (!current.isEmpty() && nowNanos - currentSinceNanos >= scheduleDelayNanos) {
      seal();
    }
    int started = 0;
    while (!ready.isEmpty() && inFlightExports.get() < maxConcurrentExports) {
      export(ready.poll());
      started++;
    }
    return started;
  }

  /** True when nothing is queued or in flight. */
  public boolean isIdle() {
    return current.isEmpty() && ready.isEmpty() && inFlightExports.get() == 0;
  }

  /** Seals the current batch so that the next {@link #poll} exports it at once. */
  public void sealNow() {
    seal();
  }

  private void export(ArrayList<SpanData> batch) {
    int size = batch.size();
    readySpans -= size;
    inFlightSpans.addAndGet(size);
    inFlightExports.incrementAndGet();
    CompletableResultCode result;
    InternalError lateFault = null;
    try {
      result = exporter.export(Collections.unmodifiableList(batch));
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
          counters.exported(size);
          succeeded();
        } else {
          counters.exportFailed(size);
          failed(describe(completed), size);
        }
      } finally {
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
    while (!ready.isEmpty()) {
      poll(System.nanoTime());
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        break;
      }
      if (!ready.isEmpty()) {
        LockSupport.parkNanos(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
      }
    }
    int notSent = readySpans;
    if (notSent > 0) {
      counters.exportFailed(notSent);
      ready.clear();
      readySpans = 0;
    }
    long left = deadlineNanos - System.nanoTime();
    if (left > 0 && !inFlight.isEmpty()) {
      CompletableResultCode.ofAll(new ArrayList<>(inFlight)).join(left, TimeUnit.NANOSECONDS);
    }
    int unanswered = inFlightSpans.get();
    if (unanswered > 0 || notSent > 0) {
      // Unanswered exports are given up: counted if and when the exporter fails them.
      failed("no answer to " + inFlightExports.get() + " export(s) within the close timeout ("
          + TimeUnit.NANOSECONDS.toMillis(closeTimeoutNanos) + " ms): " + unanswered
          + " spans given up, " + notSent + " not sent", unanswered + notSent);
    }
  }
}
