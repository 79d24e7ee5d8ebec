package dev.weft.exporter;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.annotation.Nullable;
import javax.annotation.concurrent.GuardedBy;

/**
 * Prints each trace as a waterfall tree (parents, language native or java, thread, duration, a
 * time bar, errors): the exporter named {@value #NAME} ({@code OTEL_TRACES_EXPORTER=weft-console},
 * combinable: {@code otlp,weft-console}). It writes to <b>standard error</b> unless
 * {@code otel.exporter.weft.console.stream} / {@code OTEL_EXPORTER_WEFT_CONSOLE_STREAM} is
 * {@code stdout}.
 *
 * <p>The JVM's spans and the native ones reach an exporter at different times, so spans are
 * grouped by trace and a trace is printed once its root (a span with no parent, or a remote one)
 * has arrived and no span of it came for {@link #DEFAULT_QUIET_MILLIS} ms, or
 * {@link #DEFAULT_MAX_WAIT_MILLIS} ms after its first span, whichever is first; {@link #flush()}
 * and {@link #shutdown()} print everything buffered. Memory is bounded: beyond
 * {@link #DEFAULT_MAX_BUFFERED_SPANS} buffered spans the oldest trace is printed early. The thread
 * of a span is its {@code thread.name} attribute (native spans always have it; JVM spans have it
 * if the application or its agent sets it), else {@code thread.id}, else "-".
 */
public final class WeftConsoleSpanExporter implements SpanExporter {
  /** The exporter's name in {@code otel.traces.exporter}: {@value}. */
  public static final String NAME = "weft-console";
  /** A trace whose root arrived is printed after this long with no new span of it: {@value} ms. */
  public static final long DEFAULT_QUIET_MILLIS = 500;
  /** A trace is printed at the latest this long after its first span arrived: {@value} ms. */
  public static final long DEFAULT_MAX_WAIT_MILLIS = 5_000;
  /** Spans buffered at most; beyond it the oldest trace is printed early: {@value}. */
  public static final int DEFAULT_MAX_BUFFERED_SPANS = 10_000;

  private static final class Pending {
    final List<SpanData> spans = new ArrayList<>();
    final long firstNanos;
    long lastNanos;
    boolean rootSeen;

    Pending(long now) {
      this.firstNanos = now;
      this.lastNanos = now;
    }
  }

  private final PrintStream out;
  private final long quietNanos;
  private final long maxWaitNanos;
  private final int maxBufferedSpans;
  private final LongSupplier clock;
  private final Object lock = new Object();
  @Nullable private final ScheduledExecutorService timer;

  @GuardedBy("lock")
  private final LinkedHashMap<String, Pending> traces = new LinkedHashMap<>();
  @GuardedBy("lock")
  private int buffered;
  @GuardedBy("lock")
  private boolean shutdown;

  private WeftConsoleSpanExporter(PrintStream out, Duration quiet, Duration maxWait,
      int maxBufferedSpans, LongSupplier clock, boolean startTimer) {
    this.out = Objects.requireNonNull(out, "out");
    if (quiet.isNegative() || maxWait.isNegative() || maxBufferedSpans <= 0) {
      throw new IllegalArgumentException("need quiet >= 0, maxWait >= 0, maxBufferedSpans > 0");
    }
    this.quietNanos = quiet.toNanos();
    this.maxWaitNanos = maxWait.toNanos();
    this.maxBufferedSpans = maxBufferedSpans;
    this.clock = clock;
    if (startTimer) {
      this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "weft-console-exporter");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(this::printDue, 100, 100, TimeUnit.MILLISECONDS);
    } else {
      this.timer = null;
    }
  }

  /** Prints to {@code out} with the default timings. */
  public static WeftConsoleSpanExporter create(PrintStream out) {
    return new WeftConsoleSpanExporter(out, Duration.ofMillis(DEFAULT_QUIET_MILLIS),
        Duration.ofMillis(DEFAULT_MAX_WAIT_MILLIS), DEFAULT_MAX_BUFFERED_SPANS, System::nanoTime,
        true);
  }

  /** Prints to {@code out} with these timings and bound. */
  public static WeftConsoleSpanExporter create(PrintStream out, Duration quiet, Duration maxWait,
      int maxBufferedSpans) {
    return new WeftConsoleSpanExporter(out, quiet, maxWait, maxBufferedSpans, System::nanoTime,
        true);
  }

  /** For tests: a given clock and no timer thread (call {@link #printDue()} by hand). */
  static WeftConsoleSpanExporter manual(PrintStream out, Duration quiet, Duration maxWait,
      int maxBufferedSpans, LongSupplier clock) {
    return new WeftConsoleSpanExporter(out, quiet, maxWait, maxBufferedSpans, clock, false);
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    List<List<SpanData>> print = new ArrayList<>();
    synchronized (lock) {
      if (shutdown) {
        return CompletableResultCode.ofFailure();
      }
      long now = clock.getAsLong();
      for (SpanData span : spans) {
        Pending trace = traces.computeIfAbsent(span.getTraceId(), k -> new Pending(now));
        trace.spans.add(span);
        trace.lastNanos = now;
        if (!span.getParentSpanContext().isValid() || span.getParentSpanContext().isRemote()) {
          trace.rootSeen = true;
        }
        buffered++;
      }
      Iterator<Pending> oldest = traces.values().iterator();
      while (buffered > maxBufferedSpans && oldest.hasNext()) {
        Pending trace = oldest.next();
        oldest.remove();
        buffered -= trace.spans.size();
        print.add(trace.spans);
      }
    }
    print(print);
    return CompletableResultCode.ofSuccess();
  }

  /** Prints the traces that are due (see the class comment). */
  void printDue() {
    List<List<SpanData>> print = new ArrayList<>();
    synchronized (lock) {
      long now = clock.getAsLong();
      Iterator<Map.Entry<String, Pending>> it = traces.entrySet().iterator();
      while (it.hasNext()) {
        Pending trace = it.next().getValue();
        if ((trace.rootSeen && now - trace.lastNanos >= quietNanos)
            || now - trace.firstNanos >= maxWaitNanos) {
          it.remove();
          buffered -= trace.spans.size();
          print.add(trace.spans);
        }
      }
    }
    print(print);
  }

  private List<List<SpanData>> takeAll() {
    synchronized (lock) {
      List<List<SpanData>> all = new ArrayList<>();
      for (Pending trace : traces.values()) {
        all.add(trace.spans);
      }
      traces.clear();
      buffered = 0;
      return all;
    }
  }

  private void print(List<List<SpanData>> traces) {
    if (traces.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (List<SpanData> trace : traces) {
      sb.append(Waterfall.render(trace));
    }
    synchronized (out) {
      out.print(sb);
      out.flush();
    }
  }

  /** Prints every buffered trace now. */
  @Override
  public CompletableResultCode flush() {
    print(takeAll());
    return CompletableResultCode.ofSuccess();
  }

  /** Prints every buffered trace and stops the timer; later exports fail. */
  @Override
  public CompletableResultCode shutdown() {
    synchronized (lock) {
      if (shutdown) {
        return CompletableResultCode.ofSuccess();
      }
      shutdown = true;
    }
    if (timer != null) {
      timer.shutdownNow();
    }
    print(takeAll());
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public String toString() {
    return "WeftConsoleSpanExporter{}";
  }
}
