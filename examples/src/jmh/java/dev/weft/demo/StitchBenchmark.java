package dev.weft.demo;

import dev.weft.NativeScope;
import dev.weft.Weft;
import dev.weft.WeftCollector;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What stitching adds to a native call, in one run:
 *
 * <ul>
 *   <li>{@code jniPlain} vs {@code jniUnderEnterNative}: a trivial JNI call, and the same call
 *       inside {@code Weft.enterNative()} with a current JVM span (attach + detach);
 *   <li>{@code nativeSpanUnderJavaParent} vs {@code sdkSpanAroundCall}: one native span (begun and
 *       ended in C, drained and converted by the collector thread) under the JVM span, vs one
 *       OpenTelemetry Java SDK span (BatchSpanProcessor) around the plain JNI call. Both export to
 *       a no-op exporter.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(org.openjdk.jmh.annotations.Scope.Thread)
public class StitchBenchmark {
  private SdkTracerProvider provider;
  private WeftCollector collector;
  private Tracer tracer;
  private Span parent;
  private Scope parentScope;
  private int x;

  /** Whether a JVM span is current (false: what enterNative costs where there is nothing to stitch). */
  @Param({"true"})
  public boolean currentSpan;

  private static final class NoopExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    NativeCodec.load();
    Weft.load();
    provider = SdkTracerProvider.builder()
        .addSpanProcessor(BatchSpanProcessor.builder(new NoopExporter()).build()).build();
    collector = WeftCollector.builder().setSpanExporter(new NoopExporter())
        .setRegisterShutdownHook(false).build();
    tracer = provider.get("bench");
    parent = tracer.spanBuilder("parent").startSpan();
    parentScope = currentSpan ? parent.makeCurrent() : Scope.noop();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    parentScope.close();
    parent.end();
    collector.close();
    provider.close();
  }

  @Benchmark
  public int jniPlain() {
    return NativeCodec.noop(x++);
  }

  @Benchmark
  public int jniUnderEnterNative() {
    try (NativeScope scope = Weft.enterNative()) {
      return NativeCodec.noop(x++);
    }
  }

  @Benchmark
  public void nativeSpanUnderJavaParent() {
    try (NativeScope scope = Weft.enterNative()) {
      NativeCodec.oneSpan();
    }
  }

  @Benchmark
  public int sdkSpanAroundCall() {
    Span span = tracer.spanBuilder("bench.span").startSpan();
    try {
      return NativeCodec.noop(x++);
    } finally {
      span.end();
    }
  }
}
