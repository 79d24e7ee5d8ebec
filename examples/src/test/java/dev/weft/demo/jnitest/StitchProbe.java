package dev.weft.demo.jnitest;

import dev.weft.NativeScope;
import dev.weft.Weft;
import dev.weft.WeftCollector;
import dev.weft.WeftStats;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.IntToLongFunction;
import javax.annotation.Nullable;

/**
 * Run in a child JVM by {@link FirstCallStitchingTest} and {@link DiagnosisTest} (a loaded
 * library cannot be unloaded, and Weft starts once per process). {@code args[0]} is the mode,
 * {@code args[1]} the library ({@code hidden}, {@code registered}, {@code lazy} or {@code none}).
 * Prints the spans as {@code span|jvm-or-native|name|trace id|span id|parent span id|scope}
 * lines and the diagnosis as {@code diag|} lines.
 *
 * <ul>
 *   <li>{@code stitch}: a collector, then two JVM spans each around one native call;
 *   <li>{@code no-collector}: native calls with no collector, then waits for the check;
 *   <li>{@code closed-collector}: a collector drains two calls and closes, the check runs; then
 *       one more call with no collector, and the check runs again;
 *   <li>{@code idle}: JVM spans around no native code (or {@code Weft.load()} only with {@code
 *       none}), with a collector waiting for {@code args[2]} if given, then waits.
 * </ul>
 */
public final class StitchProbe {
  private StitchProbe() {}

  /** Collects what is exported, native and JVM spans alike. */
  static final class Capture implements SpanExporter {
    final List<SpanData> spans = new ArrayList<>();

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAll(batch);
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

    synchronized List<SpanData> spans() {
      return new ArrayList<>(spans);
    }
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    IntToLongFunction work = library(args[1]);
    Capture capture = new Capture();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(capture)).build();
    Tracer tracer = provider.get("probe");
    switch (mode) {
      case "stitch": {
        WeftCollector collector = WeftCollector.builder().setSpanExporter(capture)
            .setSegmentPollInterval(Duration.ofMillis(10)).setRegisterShutdownHook(false).build();
        for (int call = 0; call < 2; call++) {
          callInSpan(tracer, "jvm.call-" + call, work);
        }
        waitAttached(collector);
        waitDrained(collector);
        for (String line : Weft.diagnose().toString().split("\n")) {
          System.out.println("diag|" + line);
        }
        collector.close();
        break;
      }
      case "closed-collector": {
        WeftCollector collector = WeftCollector.builder().setSpanExporter(capture)
            .setSegmentPollInterval(Duration.ofMillis(10)).setRegisterShutdownHook(false).build();
        for (int call = 0; call < 2; call++) {
          callInSpan(tracer, "jvm.call-" + call, work);
        }
        waitAttached(collector);
        waitDrained(collector);
        collector.close();
        System.out.println("phase|closed");
        Thread.sleep(1000); // the check runs: everything recorded was drained
        System.out.println("phase|after-close-call");
        callInSpan(tracer, "jvm.call-late", work);
        Thread.sleep(1000); // the check runs: one call's spans recorded after the close
        break;
      }
      case "no-collector": {
        for (int call = 0; call < 3; call++) {
          callInSpan(tracer, "jvm.call-" + call, work);
        }
        Thread.sleep(1500);
        break;
      }
      case "idle": {
        WeftCollector collector = null;
        if (args.length > 2) {
          collector = WeftCollector.builder().setSpanExporter(capture)
              .setSegmentPath(Path.of(args[2])).setSegmentPollInterval(Duration.ofMillis(10))
              .setRegisterShutdownHook(false).build();
        }
        if (work == null) {
          Weft.load();
        } else {
          for (int call = 0; call < 3; call++) {
            callInSpan(tracer, "jvm.call-" + call, x -> 0);
          }
        }
        Thread.sleep(1500);
        for (String line : Weft.diagnose().toString().split("\n")) {
          System.out.println("diag|" + line);
        }
        if (collector != null) {
          collector.close();
        }
        break;
      }
      default:
        throw new IllegalArgumentException(mode);
    }
    provider.close();
    for (SpanData s : capture.spans()) {
      boolean nativeSpan = !s.getInstrumentationScopeInfo().getName().equals("probe");
      System.out.println("span|" + (nativeSpan ? "native" : "jvm") + "|" + s.getName() + "|"
          + s.getTraceId() + "|" + s.getSpanId() + "|" + s.getParentSpanId() + "|"
          + s.getInstrumentationScopeInfo().getName());
    }
    System.out.flush();
  }

  @SuppressWarnings("try") // the scopes are only closed
  private static void callInSpan(Tracer tracer, String name, IntToLongFunction work) {
    Span span = tracer.spanBuilder(name).startSpan();
    try (Scope s = span.makeCurrent(); NativeScope n = Weft.enterNative()) {
      System.out.println("attached|" + name + "|" + n.isAttached());
      work.applyAsLong(2);
    } finally {
      span.end();
    }
  }

  /** stats() are the counters the collector thread last published: wait for its pass. */
  private static void waitDrained(WeftCollector collector) throws InterruptedException {
    for (int i = 0; i < 500; i++) {
      WeftStats stats = collector.stats();
      if (stats.spansCommitted() > 0 && stats.spansDrained() >= stats.spansCommitted()) {
        return;
      }
      Thread.sleep(10);
    }
  }

  private static void waitAttached(WeftCollector collector) throws InterruptedException {
    for (int i = 0; i < 1000 && !collector.isAttached(); i++) {
      Thread.sleep(10);
    }
  }

  @Nullable
  private static IntToLongFunction library(String name) {
    switch (name) {
      case "hidden":
        return HiddenOnLoad::work;
      case "registered":
        return Registered::work;
      case "lazy":
        return LazyLoaded::work;
      case "none":
        return null;
      default:
        throw new IllegalArgumentException(name);
    }
  }
}
