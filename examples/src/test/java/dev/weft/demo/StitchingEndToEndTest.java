package dev.weft.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.Weft;
import dev.weft.testing.OtlpReceiver;
import dev.weft.demo.testing.Traces;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.trace.v1.Status;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo's requests end to end: JVM spans from the OpenTelemetry SDK and native spans from the
 * Weft collector, exported by the same SDK over real OTLP/gRPC to a receiver on 127.0.0.1, form
 * one trace with the exact expected tree.
 */
@SuppressWarnings("try") // scopes that are only closed
class StitchingEndToEndTest {
  static final String NATIVE_SCOPE = "weft-demo-native";
  static final String JAVA_SCOPE = "dev.weft.demo";

  /** The tree of one request: span name -> parent name (insertion order = depth-first). */
  static final Map<String, String> TREE = new LinkedHashMap<>();

  static {
    TREE.put("GET /frames/{id}", null);
    TREE.put("FrameService.transcode", "GET /frames/{id}");
    TREE.put("codec.process", "FrameService.transcode");
    TREE.put("codec.parse", "codec.process");
    TREE.put("codec.parse.header", "codec.parse");
    TREE.put("codec.validate", "codec.process");
    TREE.put("codec.worker.compress", "codec.process");
    TREE.put("progress.report", "codec.worker.compress");
    TREE.put("codec.upcall", "codec.process");
    TREE.put("metadata.enrich", "codec.upcall");
    TREE.put("codec.lookup", "metadata.enrich");
    TREE.put("codec.encode", "FrameService.transcode");
  }

  static final List<String> JAVA_SPANS = List.of("GET /frames/{id}", "FrameService.transcode",
      "progress.report", "metadata.enrich");

  /**
   * How far the JVM's and libweft's wall clocks may disagree. The autoconfigured SDK stamps JVM
   * spans with {@link dev.weft.WeftClock}: libweft's clock, anchored once per trace by a pair of
   * reads taken together, so a pause between the SDK's two anchor reads no longer shifts a trace
   * (2.9 ms was seen in CI with the SDK's own clock). What is left is the TSC calibration error
   * (tens of ns, docs/benchmarks.md "The clock") and the JNI call inside the anchor: 1 ms is a
   * bound for correctness, far above both, not a timing limit.
   */
  static final long CLOCK_ANCHOR_TOLERANCE_NANOS = 1_000_000;

  static OtlpReceiver receiver;
  static DemoTelemetry telemetry;
  static Tracer tracer;

  @BeforeAll
  static void start() throws Exception {
    NativeCodec.load();
    assertThat(NativeCodec.initStatus()).as("weft_init in libweftdemo").isZero();
    receiver = new OtlpReceiver(true).start();
    telemetry = DemoTelemetry.create(null, Map.of(
        "otel.traces.exporter", "otlp",
        "otel.exporter.otlp.protocol", "grpc",
        "otel.exporter.otlp.endpoint", receiver.endpoint(),
        "otel.bsp.schedule.delay", "10",
        "otel.service.name", "weft-e2e"));
    tracer = telemetry.tracer();
    Weft.load(); // as the README says, after the native library: the JVM's clock is libweft's now
    assertThat(dev.weft.WeftClock.source()).as("the JVM spans' clock").startsWith("libweft (");
  }

  @AfterAll
  static void stop() {
    if (telemetry != null) {
      telemetry.close();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  @BeforeEach
  void clear() {
    receiver.reset();
  }

  /** Waits for the trace of request {@code id} to have {@code count} spans and returns it. */
  static Traces awaitRequest(int id, int count) {
    String[] traceId = new String[1];
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (OtlpReceiver.Received r : receiver.received()) {
        if (r.span.getName().equals("GET /frames/{id}")
            && Traces.attributes(r.span).get("request.id").getIntValue() == id) {
          traceId[0] = Traces.hex(r.span.getTraceId());
          return Traces.ofTrace(receiver, traceId[0]).size() >= count;
        }
      }
      return false;
    });
    // anything late would be a duplicate or a stray span: give it a moment to show up
    await().pollDelay(Duration.ofMillis(200)).until(() -> true);
    return new Traces(Traces.ofTrace(receiver, traceId[0]));
  }

  static void assertRequestTree(Traces trace, int id) {
    assertThat(trace.all()).extracting(r -> r.span.getName())
        .containsExactlyInAnyOrderElementsOf(TREE.keySet());
    String traceId = Traces.hex(trace.span("GET /frames/{id}").getTraceId());
    for (Map.Entry<String, String> e : TREE.entrySet()) {
      OtlpReceiver.Received r = trace.received(e.getKey());
      assertThat(Traces.hex(r.span.getTraceId())).isEqualTo(traceId);
      assertThat(trace.parentName(e.getKey())).as("parent of %s", e.getKey())
          .isEqualTo(e.getValue());
      assertThat(r.scope.getName()).as("scope of %s", e.getKey())
          .isEqualTo(JAVA_SPANS.contains(e.getKey()) ? JAVA_SCOPE : NATIVE_SCOPE);
      assertThat(r.resource).as("one Resource for java and native spans")
          .isEqualTo(trace.received("GET /frames/{id}").resource);
      if (e.getValue() != null) {
        io.opentelemetry.proto.trace.v1.Span child = r.span;
        io.opentelemetry.proto.trace.v1.Span parent = trace.span(e.getValue());
        // Same language: one clock. Across the boundary the JVM SDK and libweft each anchor
        // wall-clock time to the monotonic clock on their own (see CLOCK_ANCHOR_TOLERANCE_NANOS).
        long tolerance = JAVA_SPANS.contains(e.getKey()) == JAVA_SPANS.contains(e.getValue())
            ? 0 : CLOCK_ANCHOR_TOLERANCE_NANOS;
        assertThat(child.getStartTimeUnixNano()).as("%s starts within its parent", e.getKey())
            .isGreaterThanOrEqualTo(parent.getStartTimeUnixNano() - tolerance);
        assertThat(child.getEndTimeUnixNano()).as("%s ends within its parent", e.getKey())
            .isLessThanOrEqualTo(parent.getEndTimeUnixNano() + tolerance);
        assertThat(child.getEndTimeUnixNano()).isGreaterThanOrEqualTo(
            child.getStartTimeUnixNano());
      }
    }
    assertThat(trace.received("GET /frames/{id}").resource.getAttributesList())
        .anySatisfy(kv -> {
          assertThat(kv.getKey()).isEqualTo("service.name");
          assertThat(kv.getValue().getStringValue()).isEqualTo("weft-e2e");
        });
    // attributes and statuses where the demo sets them
    assertThat(Traces.attributes(trace.span("codec.process")).get("request.id").getIntValue())
        .isEqualTo(id);
    assertThat(Traces.attributes(trace.span("codec.parse.header")).get("header.version")
        .getIntValue()).isEqualTo(2);
    assertThat(Traces.attributes(trace.span("codec.parse")).get("parse.strict").getBoolValue())
        .isTrue();
    assertThat(Traces.attributes(trace.span("codec.encode")).get("encode.ratio")
        .getDoubleValue()).isEqualTo(0.6);
    io.opentelemetry.proto.trace.v1.Span validate = trace.span("codec.validate");
    assertThat(validate.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(validate.getStatus().getMessage()).isEqualTo("checksum mismatch in block 3");
    assertThat(validate.getEventsList()).singleElement()
        .satisfies(ev -> assertThat(ev.getName()).isEqualTo("checksum.mismatch"));
    for (String ok : List.of("codec.process", "codec.parse", "codec.upcall", "codec.lookup",
        "codec.encode", "metadata.enrich", "GET /frames/{id}")) {
      assertThat(trace.span(ok).getStatus().getCode()).as("status of %s", ok)
          .isNotEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    }
    // the worker thread: another OS thread, the Java callback on it too
    Map<String, AnyValue> worker = Traces.attributes(trace.span("codec.worker.compress"));
    Map<String, AnyValue> process = Traces.attributes(trace.span("codec.process"));
    assertThat(worker.get("thread.name").getStringValue()).isEqualTo("codec-worker");
    assertThat(worker.get("thread.id").getIntValue())
        .isNotEqualTo(process.get("thread.id").getIntValue());
    assertThat(Traces.attributes(trace.span("progress.report")).get("thread.name")
        .getStringValue()).isEqualTo("codec-worker");
    // nothing was ended by an unwind
    for (OtlpReceiver.Received r : trace.all()) {
      assertThat(Traces.attributes(r.span)).doesNotContainKey("weft.span.ended_by");
    }
  }

  @Test
  void platformThreadRequestIsOneTraceWithTheExactTree() {
    DemoService service = new DemoService(tracer);
    service.handle(101);
    assertRequestTree(awaitRequest(101, TREE.size()), 101);
  }

  @Test
  void virtualThreadRequestsGetTheRightParentsOnEveryCarrier() throws Exception {
    Assumptions.assumeTrue(Runtime.version().feature() >= 21,
        "virtual threads need JDK 21+; this JVM is " + Runtime.version());
    DemoService service = new DemoService(tracer);
    ExecutorService executor = (ExecutorService) Executors.class
        .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    try {
      // many at once, so that they share and move between carriers
      List<java.util.concurrent.Future<Long>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 16; i++) {
        int id = 200 + i;
        results.add(executor.submit(() -> {
          Thread.sleep(1); // unmount once before the request
          return service.handle(id);
        }));
      }
      for (java.util.concurrent.Future<Long> f : results) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      executor.shutdown();
    }
    for (int i = 0; i < 16; i++) {
      assertRequestTree(awaitRequest(200 + i, TREE.size()), 200 + i);
    }
  }

  @Test
  void unsampledJavaParentRecordsNoNativeSpan() {
    SpanContext unsampled = SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331", TraceFlags.getDefault(), TraceState.getDefault());
    long committedBefore = telemetry.collector().stats().spansCommitted();
    DemoService service = new DemoService(tracer);
    try (Scope ignored = Context.root().with(Span.wrap(unsampled)).makeCurrent()) {
      assertThat(Span.current().getSpanContext().isSampled()).isFalse();
      service.handle(301);
    }
    // a sampled request afterwards: once it has arrived, the unsampled one would have too
    service.handle(302);
    assertRequestTree(awaitRequest(302, TREE.size()), 302);
    assertThat(Traces.ofTrace(receiver, unsampled.getTraceId())).isEmpty();
    assertThat(receiver.received()).noneSatisfy(r -> assertThat(
        Traces.attributes(r.span).get("request.id")).isEqualTo(
            AnyValue.newBuilder().setIntValue(301).build()));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(telemetry.collector().stats().spansCommitted() - committedBefore)
            .as("only request 302's native spans were recorded").isEqualTo(8));
  }

  @Test
  void exceptionInUpcallEndsTheNativeSpansWithErrorAndLeavesTheStackIntact() {
    DemoService service = new DemoService(tracer, id -> id == 401);
    assertThatThrownBy(() -> service.handle(401)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("metadata service unavailable");
    // no codec.lookup (enrich threw first) and no codec.encode (process threw)
    Traces failed = awaitRequest(401, TREE.size() - 2);
    assertThat(failed.all()).extracting(r -> r.span.getName())
        .doesNotContain("codec.lookup", "codec.encode");
    assertThat(failed.parentName("metadata.enrich")).isEqualTo("codec.upcall");
    assertThat(failed.parentName("codec.upcall")).isEqualTo("codec.process");
    io.opentelemetry.proto.trace.v1.Span upcall = failed.span("codec.upcall");
    assertThat(upcall.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(upcall.getStatus().getMessage()).isEqualTo("callback threw an exception");
    assertThat(failed.span("codec.process").getStatus().getCode())
        .isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(failed.span("metadata.enrich").getStatus().getCode())
        .isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(failed.span("GET /frames/{id}").getStatus().getCode())
        .isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(upcall.getEndTimeUnixNano())
        .isLessThanOrEqualTo(failed.span("codec.process").getEndTimeUnixNano());
    // the same thread again: a clean tree, nothing left over from the failed request
    receiver.reset();
    service.handle(402);
    assertRequestTree(awaitRequest(402, TREE.size()), 402);
  }

  @Test
  void nativeSpanLeftOpenIsEndedWhenTheScopeCloses() {
    Span parent = tracer.spanBuilder("leaky-caller").startSpan();
    try (Scope ignored = parent.makeCurrent()) {
      Weft.run(() -> NativeCodec.leakSpan("leaky.native"));
      Weft.call(() -> NativeCodec.lookup(7));
    } finally {
      parent.end();
    }
    String traceId = parent.getSpanContext().getTraceId();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> Traces.ofTrace(receiver, traceId).size() >= 3);
    Traces trace = new Traces(Traces.ofTrace(receiver, traceId));
    assertThat(trace.parentName("leaky.native")).isEqualTo("leaky-caller");
    assertThat(Traces.attributes(trace.span("leaky.native")).get("weft.span.ended_by")
        .getStringValue()).isEqualTo("unwind");
    assertThat(trace.parentName("codec.lookup")).as("not a child of the leaked span")
        .isEqualTo("leaky-caller");
  }

  @Test
  void nativeContextIsTheInnermostNativeSpanOnlyInsideNativeCalls() {
    assertThat(Weft.nativeSpanContext().isValid()).isFalse();
    assertThat(Weft.nativeContext()).isSameAs(Context.current());
    Span parent = tracer.spanBuilder("outer").startSpan();
    try (Scope ignored = parent.makeCurrent();
        dev.weft.NativeScope scope = Weft.enterNative()) {
      assertThat(scope.isAttached()).isTrue();
      // the attached context itself: the JVM span
      assertThat(Weft.nativeSpanContext().getSpanId())
          .isEqualTo(parent.getSpanContext().getSpanId());
      assertThat(Weft.nativeContext()).isSameAs(Context.current());
    } finally {
      parent.end();
    }
    assertThat(Weft.nativeSpanContext().isValid()).isFalse();
  }
}
