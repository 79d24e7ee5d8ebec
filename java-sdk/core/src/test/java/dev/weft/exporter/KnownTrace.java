package dev.weft.exporter;

import static org.awaitility.Awaitility.await;

import dev.weft.WeftCollector;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One trace with JVM and native spans, real ones (the native spans decoded by a collector from
 * records in a segment):
 *
 * <pre>
 * GET /encode            java   http-worker-1  0..10 ms
 * └─ codec.encode        native native-0       1..8 ms
 *    ├─ codec.compress   native native-worker  2..6 ms  ERROR out of memory
 *    └─ upcall.onChunk   java   native-0       7..7.5 ms
 * </pre>
 */
final class KnownTrace {
  static final Resource RESOURCE =
      Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "known"));
  static final long T0 = 1_700_000_000_000_000_000L;
  static final long MS = 1_000_000L;
  static final long TRACE_HI = 0x0af7651916cd43ddL;
  static final long TRACE_LO = 0x8448eb211c80319cL;
  static final long ENCODE_ID = 0x00000000000000e1L;
  static final long COMPRESS_ID = 0x00000000000000c2L;

  final List<SpanData> jvm = new ArrayList<>();
  final List<SpanData> nativeSpans = new ArrayList<>();

  static KnownTrace create(Path dir) throws Exception {
    KnownTrace t = new KnownTrace();
    InMemorySpanExporter jvmSpans = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder().setResource(RESOURCE)
        .addSpanProcessor(SimpleSpanProcessor.create(jvmSpans)).build()) {
      Tracer tracer = provider.get("known");
      String traceId = String.format("%016x%016x", TRACE_HI, TRACE_LO);
      Span root = tracer.spanBuilder("GET /encode")
          .setParent(Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(traceId,
              "00000000000000aa", TraceFlags.getSampled(), TraceState.getDefault()))))
          .setStartTimestamp(T0, TimeUnit.NANOSECONDS).startSpan();
      root.setAttribute("thread.name", "http-worker-1");
      SpanContext encode = SpanContext.create(traceId, String.format("%016x", ENCODE_ID),
          TraceFlags.getSampled(), TraceState.getDefault());
      Span upcall = tracer.spanBuilder("upcall.onChunk")
          .setParent(Context.root().with(Span.wrap(encode)))
          .setStartTimestamp(T0 + 7 * MS, TimeUnit.NANOSECONDS).startSpan();
      upcall.setAttribute("thread.name", "native-0");
      upcall.end(T0 + 7 * MS + MS / 2, TimeUnit.NANOSECONDS);
      root.end(T0 + 10 * MS, TimeUnit.NANOSECONDS);
      t.jvm.addAll(jvmSpans.getFinishedSpanItems());
    }
    // The root's parent above is a remote one, so the JVM root is "GET /encode" (as for a
    // server span); the native spans' parent is the root's own span id.
    long rootId = Long.parseUnsignedLong(t.jvm.stream()
        .filter(s -> s.getName().equals("GET /encode")).findFirst().orElseThrow().getSpanId(), 16);

    Path path = dir.resolve("weft-known");
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("codec", "1.0");
    writer.claimSlot(0, 1001, "native-0");
    writer.claimSlot(1, 1002, "native-worker");
    writer.append(0, SpanRecordBuilder.span().traceId(TRACE_HI, TRACE_LO).spanId(ENCODE_ID)
        .parentSpanId(rootId).name("codec.encode").tid(1001).start(T0 + MS).end(T0 + 8 * MS)
        .build());
    writer.append(1, SpanRecordBuilder.span().traceId(TRACE_HI, TRACE_LO).spanId(COMPRESS_ID)
        .parentSpanId(ENCODE_ID).name("codec.compress").tid(1002).start(T0 + 2 * MS)
        .end(T0 + 6 * MS).statusCode(2).statusMessage("out of memory").build());
    InMemorySpanExporter nativeOut = InMemorySpanExporter.create();
    try (WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
        .setSpanExporter(nativeOut).setResource(RESOURCE).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(10)).build()) {
      await().until(() -> collector.stats().spansExported() == 2);
    }
    writer.close();
    t.nativeSpans.addAll(nativeOut.getFinishedSpanItems());
    return t;
  }

  List<SpanData> all() {
    List<SpanData> all = new ArrayList<>(jvm);
    all.addAll(nativeSpans);
    return all;
  }
}
