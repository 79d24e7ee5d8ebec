package dev.weft.demo;

import dev.weft.Weft;
import dev.weft.WeftCollector;
import dev.weft.internal.jni.LibraryLoader;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Run in a child JVM by {@link LibraryLoadingTest}: loads the app library and libweft in the
 * order given by {@code args[0]} ({@code app-first} or {@code weft-first}) and prints what each
 * side sees, as {@code key=value} lines. With {@code stitch} as {@code args[1]}, it also records a
 * native span under a JVM span and prints whether the exported span was stitched under it.
 */
public final class LoadOrderProbe {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN_ID = "00f067aa0ba902b7";

  private LoadOrderProbe() {}

  public static void main(String[] args) {
    try {
      if (args[0].equals("app-first")) {
        NativeCodec.load();
        System.out.println("weft=" + Weft.load());
      } else {
        System.out.println("weft=" + Weft.load());
        NativeCodec.load();
      }
      System.out.println("appLibweft=" + NativeCodec.libweftFile());
      System.out.println("mapped=" + LibraryLoader.mappedLibweft().size());
      System.out.println("jvmSegment=" + Weft.segmentPath());
      System.out.println("appSegment=" + NativeCodec.segmentPath());
      if (args.length > 1 && args[1].equals("stitch")) {
        System.out.println("stitched=" + stitched());
      }
    } catch (IllegalStateException e) {
      System.out.println("error=" + e.getMessage());
    }
  }

  /** One native span under a JVM span; true if it was exported as that span's child. */
  @SuppressWarnings("try")
  private static boolean stitched() {
    List<SpanData> exported = new CopyOnWriteArrayList<>();
    SpanExporter exporter = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        exported.addAll(spans);
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
    };
    try (WeftCollector collector = WeftCollector.builder().setSpanExporter(exporter)
        .setRegisterShutdownHook(false).build()) {
      Span jvmSpan = Span.wrap(SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(),
          TraceState.getDefault()));
      try (Scope scope = jvmSpan.makeCurrent()) {
        Weft.run(NativeCodec::oneSpan);
      }
    } // close drains the segment and exports what is left
    for (SpanData span : exported) {
      System.out.println("span=" + span.getName() + " trace=" + span.getTraceId() + " parent="
          + span.getParentSpanId());
    }
    return exported.size() == 1 && exported.get(0).getTraceId().equals(TRACE_ID)
        && exported.get(0).getParentSpanId().equals(SPAN_ID);
  }
}
