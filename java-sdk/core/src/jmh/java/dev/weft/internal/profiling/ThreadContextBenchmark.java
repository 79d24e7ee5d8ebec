package dev.weft.internal.profiling;

import dev.weft.Weft;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of publishing JVM spans to profilers (weft.threadctx.java) per context change: a span
 * made current and its scope closed (two changes of the thread's current span, each an opaque
 * load of libweft's switch word and the record written in place in libweft's TLS through a direct
 * buffer, no JNI call), through the OpenTelemetry default context storage
 * alone (baseline) and wrapped by {@link ThreadContextStorage}, in the same run; and a change of
 * baggage only (the span stays: the wrapper makes no call). Needs libweft:
 * {@code -jvmArgsAppend -Dweft.library.path=.../libweft.so.0}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ThreadContextBenchmark {
  private ContextStorage baseline;
  private ContextStorage wrapped;
  private Context withSpan;
  private Context withBaggage;

  @Setup
  public void setUp() {
    if (!Weft.isAvailable()) {
      throw new IllegalStateException("libweft not found: pass -Dweft.library.path");
    }
    baseline = ContextStorage.defaultStorage();
    wrapped = ThreadContextStorage.wrapper().apply(baseline);
    SpanContext span = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
        TraceFlags.getSampled(), TraceState.getDefault());
    withSpan = Context.root().with(Span.wrap(span));
    withBaggage = withSpan.with(Baggage.builder().put("k", "v").build());
  }

  /** Make a span current and close its scope: two context changes. */
  @Benchmark
  @OperationsPerInvocation(2)
  public void spanBaseline() {
    baseline.attach(withSpan).close();
  }

  /** The same with the wrapper: two publications (the span, then none again). */
  @Benchmark
  @OperationsPerInvocation(2)
  public void spanPublished() {
    wrapped.attach(withSpan).close();
  }

  /** Inside a span, attach a context that only adds baggage, and close it. */
  @Benchmark
  @OperationsPerInvocation(2)
  public void baggageOnlyBaseline() {
    io.opentelemetry.context.Scope outer = baseline.attach(withSpan);
    baseline.attach(withBaggage).close();
    outer.close();
  }

  /** The same with the wrapper: the span does not change, so only the outer attach publishes. */
  @Benchmark
  @OperationsPerInvocation(2)
  public void baggageOnlyPublished() {
    io.opentelemetry.context.Scope outer = wrapped.attach(withSpan);
    wrapped.attach(withBaggage).close();
    outer.close();
  }
}
