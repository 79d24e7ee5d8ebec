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
import java.util.concurrent.atomic.AtomicInteger;
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
 * {@code exportFailures}. Memory is bounded by {@code maxQueueSize} spans.
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
    try {
      result = exporter.export(Collections.unmodifiableList(batch));
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "span exporter threw", e);
      result = CompletableResultCode.ofFailure();
    }
    inFlight.add(result);
    CompletableResultCode completed = result;
    result.whenComplete(() -> {
      if (completed.isSuccess()) {
        counters.exported(size);
      } else {
        counters.exportFailed(size);
      }
      inFlightSpans.addAndGet(-size);
      inFlightExports.decrementAndGet();
      inFlight.remove(completed);
      Thread thread = owner;
      if (thread != null) {
        LockSupport.unpark(thread);
      }
    });
  }

  /**
   * At close: exports everything queued, waiting for export slots, until {@code deadlineNanos};
   * then waits for the exports in flight. Spans still queued at the deadline are counted as
   * export failures.
   */
  public void finish(long deadlineNanos) {
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
    if (!ready.isEmpty()) {
      counters.exportFailed(readySpans);
      logger.warning("close timeout: " + readySpans + " spans were not exported");
      ready.clear();
      readySpans = 0;
    }
    long left = deadlineNanos - System.nanoTime();
    if (left > 0 && !inFlight.isEmpty()) {
      CompletableResultCode.ofAll(new ArrayList<>(inFlight)).join(left, TimeUnit.NANOSECONDS);
    }
  }
}
