package dev.weft.agent;

import com.example.nativelib.PlainCodec;
import com.example.nativelib.SymbolCodec;
import dev.weft.NativeScope;
import dev.weft.Weft;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Arrays;
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
 * What the agent adds to a trivial JNI call ({@code x + 1}), in one run, with an app-built SDK,
 * with and without a current JVM span ({@code currentSpan}):
 *
 * <ul>
 *   <li>{@code plain}: {@link PlainCodec#noop}, a class the agent leaves alone;
 *   <li>{@code agent}: {@link SymbolCodec#noop}, the same native call stitched by the agent (the
 *       JVM runs with {@code -javaagent:weft-agent.jar
 *       -Dweft.instrument.native=com.example.nativelib.SymbolCodec}, see the bench profile);
 *   <li>{@code enterNative}: the plain call inside {@code Weft.enterNative()} by hand.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(org.openjdk.jmh.annotations.Scope.Thread)
public class NativeAgentBenchmark {
  @Param({"false", "true"})
  public boolean currentSpan;

  private SdkTracerProvider provider;
  private Span span;
  private Scope scope;
  private int x;

  @Setup(Level.Trial)
  public void setUp() {
    if (Arrays.stream(SymbolCodec.class.getDeclaredMethods())
        .noneMatch(m -> m.getName().equals(WeftAgent.NATIVE_METHOD_PREFIX + "noop"))) {
      throw new IllegalStateException("SymbolCodec is not instrumented: run with the agent");
    }
    PlainCodec.noop(0);
    Weft.load();
    // a processor (exporting nowhere): an SDK without one hands out no-op tracers
    provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite())).build();
    if (currentSpan) {
      // beside the OpenTelemetry agent (-Dweft.bench.global=true): the agent's tracer
      Tracer tracer = Boolean.getBoolean("weft.bench.global")
          ? GlobalOpenTelemetry.getTracer("bench") : provider.get("bench");
      span = tracer.spanBuilder("parent").startSpan();
      if (!span.getSpanContext().isValid()) {
        throw new IllegalStateException("no valid span from " + tracer);
      }
      scope = span.makeCurrent();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (scope != null) {
      scope.close();
      span.end();
    }
    provider.close();
  }

  @Benchmark
  public int plain() {
    return PlainCodec.noop(x++);
  }

  @Benchmark
  public int agent() {
    return SymbolCodec.noop(x++);
  }

  @Benchmark
  public int enterNative() {
    try (NativeScope s = Weft.enterNative()) {
      return PlainCodec.noop(x++);
    }
  }
}
