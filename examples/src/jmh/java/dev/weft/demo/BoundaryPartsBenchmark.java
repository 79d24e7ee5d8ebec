package dev.weft.demo;

import dev.weft.NativeScope;
import dev.weft.Weft;
import dev.weft.internal.jni.AttachCell;
import dev.weft.internal.jni.Boundary;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Where the cost of {@code Weft.enterNative()} around a trivial JNI call goes, one part added at
 * a time (same run, same JNI call): the current span's lookup, the thread's attach cell, the
 * cell's enter and close without the scope object, and the whole scope.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(org.openjdk.jmh.annotations.Scope.Thread)
public class BoundaryPartsBenchmark {
  private Scope parentScope;
  private int x;

  @Setup(Level.Trial)
  public void setUp() {
    NativeCodec.load();
    Weft.load();
    Span parent = Span.wrap(SpanContext.create("0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault()));
    parentScope = parent.makeCurrent();
    Weft.enterNative().close(); // the first attach, through JNI: the cell from now on
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    parentScope.close();
  }

  @Benchmark
  public int plain() {
    return NativeCodec.noop(x++);
  }

  @Benchmark
  public int currentSpan() {
    SpanContext c = Span.current().getSpanContext();
    return NativeCodec.noop(x++) + (c.isValid() ? 1 : 0);
  }

  @Benchmark
  public int cellLookup() {
    AttachCell cell = Boundary.cell();
    return NativeCodec.noop(x++) + (cell != null ? 1 : 0);
  }

  @Benchmark
  public int cellEnterClose() {
    AttachCell cell = Boundary.cell();
    int gen = cell.enter(1, 2, 3, 1);
    int r = NativeCodec.noop(x++);
    return r + cell.close(gen);
  }

  @Benchmark
  public int enterNative() {
    try (NativeScope scope = Weft.enterNative()) {
      return NativeCodec.noop(x++);
    }
  }
}
