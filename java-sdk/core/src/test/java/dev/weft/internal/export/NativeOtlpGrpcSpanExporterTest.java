package dev.weft.internal.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.Counters;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SegmentDrainer;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.testing.CollectingSink;
import dev.weft.testing.OtlpReceiver;
import dev.weft.internal.segment.SegmentWriter;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector's exporter: native batches through Weft's marshaler and the SDK's sender to a real
 * receiver, JVM spans through the SDK's exporter, retries, shutdown and the switch.
 */
class NativeOtlpGrpcSpanExporterTest {
  @TempDir Path dir;
  private OtlpReceiver receiver;
  private final List<SpanExporter> exporters = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    receiver = new OtlpReceiver(true).start();
  }

  @AfterEach
  void tearDown() {
    for (SpanExporter exporter : exporters) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    receiver.close();
  }

  private NativeOtlpGrpcSpanExporter weft(io.opentelemetry.exporter.otlp.trace
      .OtlpGrpcSpanExporterBuilder builder) {
    SpanExporter exporter = NativeOtlpGrpcSpanExporter.build(builder);
    exporters.add(exporter);
    assertThat(exporter).isInstanceOf(NativeOtlpGrpcSpanExporter.class);
    return (NativeOtlpGrpcSpanExporter) exporter;
  }

  private List<SpanData> spans(int n) throws Exception {
    SegmentWriter writer = SegmentWriter.create(dir.resolve("seg-" + n + "-" + System.nanoTime()));
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 7, "worker");
    CollectingSink sink = new CollectingSink();
    SegmentDrainer drainer = new SegmentDrainer(Segment.open(writer.path()),
        Resource.getDefault(), new Counters());
    for (int i = 0; i < n; i++) {
      writer.append(0, SpanRecordBuilder.span().name("native-" + i).spanId(i + 1)
          .parentSpanId(i % 2 == 0 ? 0 : 1000 + i).attr("i", (long) i).attr("s", "v" + i)
          .attr("ok", i % 3 == 0).attr("r", i / 4.0).build());
      drainer.drain(sink);
    }
    assertThat(sink.spans).hasSize(n);
    return sink.spans;
  }

  /** What the receiver got, by span id (hex). */
  private Map<String, io.opentelemetry.proto.trace.v1.Span> receivedById() {
    return receiver.received().stream().collect(Collectors.toMap(
        r -> HexFormat.of().formatHex(r.span.getSpanId().toByteArray()), r -> r.span));
  }

  private void assertReceivedAsSent(List<SpanData> sent) {
    Map<String, io.opentelemetry.proto.trace.v1.Span> byId = receivedById();
    assertThat(byId).hasSize(sent.size());
    for (SpanData span : sent) {
      io.opentelemetry.proto.trace.v1.Span got = byId.get(span.getSpanId());
      assertThat(got).as(span.getSpanId()).isNotNull();
      assertThat(got.getName()).isEqualTo(span.getName());
      assertThat(HexFormat.of().formatHex(got.getTraceId().toByteArray()))
          .isEqualTo(span.getTraceId());
      assertThat(got.getParentSpanId().isEmpty()).isEqualTo(!span.getParentSpanContext().isValid());
      assertThat(got.getStartTimeUnixNano()).isEqualTo(span.getStartEpochNanos());
      assertThat(got.getEndTimeUnixNano()).isEqualTo(span.getEndEpochNanos());
      Map<String, Object> attributes = new java.util.HashMap<>();
      for (KeyValue kv : got.getAttributesList()) {
        var v = kv.getValue();
        attributes.put(kv.getKey(), v.hasIntValue() ? (Object) v.getIntValue()
            : v.hasBoolValue() ? (Object) v.getBoolValue()
            : v.hasDoubleValue() ? (Object) v.getDoubleValue() : v.getStringValue());
      }
      Map<String, Object> expected = new java.util.HashMap<>();
      span.getAttributes().forEach((k, v) -> expected.put(k.getKey(), v));
      assertThat(attributes).isEqualTo(expected);
    }
  }

  @Test
  void nativeBatchesGoThroughWeftsMarshalerAndArriveWhole() throws Exception {
    NativeOtlpGrpcSpanExporter exporter = weft(OtlpGrpcSpanExporter.builder()
        .setEndpoint(receiver.endpoint()).addHeader("x-weft", "1").setCompression("gzip"));
    List<SpanData> spans = spans(40);
    List<CompletableResultCode> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      results.add(exporter.export(spans.subList(i * 5, i * 5 + 5)));
    }
    assertThat(CompletableResultCode.ofAll(results).join(10, TimeUnit.SECONDS).isSuccess())
        .isTrue();
    assertThat(exporter.nativeExports()).isEqualTo(8);
    assertReceivedAsSent(spans);
    assertThat(receiver.received()).allSatisfy(r -> {
      assertThat(r.scope.getName()).isEqualTo("lib");
      assertThat(r.span.getAttributesList()).extracting(KeyValue::getKey)
          .contains("thread.id", "thread.name");
    });
  }

  @Test
  void marshalersAreReusedOnceTheirExportIsAnswered() throws Exception {
    NativeOtlpGrpcSpanExporter exporter = weft(OtlpGrpcSpanExporter.builder()
        .setEndpoint(receiver.endpoint()));
    List<SpanData> spans = spans(30);
    for (int i = 0; i < 10; i++) {
      assertThat(exporter.export(spans.subList(i * 3, i * 3 + 3)).join(10, TimeUnit.SECONDS)
          .isSuccess()).isTrue();
    }
    assertThat(exporter.marshalersMade()).isEqualTo(1);
    assertReceivedAsSent(spans);
  }

  @Test
  void aBatchWithAJvmSpanGoesWholeToTheSdkExporter() throws Exception {
    NativeOtlpGrpcSpanExporter exporter = weft(OtlpGrpcSpanExporter.builder()
        .setEndpoint(receiver.endpoint()));
    List<SpanData> batch = new ArrayList<>(spans(2));
    SpanData jvm = TestSpanData.builder().setName("jvm").setKind(SpanKind.SERVER)
        .setSpanContext(io.opentelemetry.api.trace.SpanContext.create(
            "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
            io.opentelemetry.api.trace.TraceFlags.getSampled(),
            io.opentelemetry.api.trace.TraceState.getDefault()))
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
        .setStatus(StatusData.create(StatusCode.OK, ""))
        .setAttributes(Attributes.builder().put("jvm.attr", "yes").build())
        .setTotalRecordedEvents(0).setTotalRecordedLinks(0).build();
    batch.add(jvm);
    assertThat(exporter.export(batch).join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    assertThat(exporter.nativeExports()).isZero();
    assertReceivedAsSent(batch);
  }

  @Test
  void aRetriedExportSendsTheSameSpansAgain() throws Exception {
    int port = receiver.port();
    receiver.stop();
    NativeOtlpGrpcSpanExporter exporter = weft(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + port).setTimeout(Duration.ofSeconds(30))
        .setRetryPolicy(RetryPolicy.builder().setMaxAttempts(5)
            .setInitialBackoff(Duration.ofMillis(200)).setMaxBackoff(Duration.ofMillis(500))
            .build()));
    List<SpanData> spans = spans(3);
    CompletableResultCode result = exporter.export(spans);
    receiver.start(); // same port
    await().atMost(Duration.ofSeconds(30)).until(result::isDone);
    assertThat(result.isSuccess()).isTrue();
    assertThat(exporter.nativeExports()).isEqualTo(1);
    assertReceivedAsSent(spans);
  }

  @Test
  void anUnreachableReceiverFailsTheExportAndTheMarshalerComesBack() throws Exception {
    int port = receiver.port();
    receiver.stop();
    NativeOtlpGrpcSpanExporter exporter = weft(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + port).setRetryPolicy(null)
        .setTimeout(Duration.ofSeconds(1)));
    List<SpanData> spans = spans(2);
    for (int i = 0; i < 3; i++) {
      CompletableResultCode result = exporter.export(spans);
      await().atMost(Duration.ofSeconds(30)).until(result::isDone);
      assertThat(result.isSuccess()).isFalse();
    }
    assertThat(exporter.marshalersMade()).isEqualTo(1);
  }

  @Test
  void afterShutdownExportsFailAndTheSenderIsShutDownOnce() throws Exception {
    NativeOtlpGrpcSpanExporter exporter = weft(OtlpGrpcSpanExporter.builder()
        .setEndpoint(receiver.endpoint()));
    assertThat(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    assertThat(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    assertThat(exporter.export(spans(1)).join(10, TimeUnit.SECONDS).isSuccess()).isFalse();
    assertThat(receiver.requestCount()).isZero();
  }

  @Test
  void theSdkMarshalerWhenAskedFor() {
    System.setProperty(NativeOtlpGrpcSpanExporter.PROPERTY, "sdk");
    try {
      SpanExporter exporter = NativeOtlpGrpcSpanExporter.build(OtlpGrpcSpanExporter.builder()
          .setEndpoint(receiver.endpoint()));
      exporters.add(exporter);
      assertThat(exporter).isInstanceOf(OtlpGrpcSpanExporter.class);
      assertThat(exporter.toString()).contains(NettyGrpcSenderProvider.class.getName());
    } finally {
      System.clearProperty(NativeOtlpGrpcSpanExporter.PROPERTY);
    }
  }
}
