package dev.weft.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.WeftCollector;
import dev.weft.WeftCollectorBuilder;
import dev.weft.testing.OtlpReceiver;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that autoconfigures its SDK gets a collector with no Weft code: the native
 * spans go through that SDK's exporter, over real OTLP/gRPC, with that SDK's Resource.
 */
class WeftAutoConfigurationTest {
  @TempDir Path dir;

  static AutoConfiguredOpenTelemetrySdk sdk(Map<String, String> properties) {
    Map<String, String> all = new HashMap<>();
    all.put("otel.metrics.exporter", "none");
    all.put("otel.logs.exporter", "none");
    all.put("otel.bsp.schedule.delay", "10");
    all.putAll(properties);
    return AutoConfiguredOpenTelemetrySdk.builder().addPropertiesSupplier(() -> all)
        .disableShutdownHook().build();
  }

  static Map<String, String> attributes(io.opentelemetry.proto.resource.v1.Resource resource) {
    return resource.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey,
        kv -> kv.getValue().toString(), (a, b) -> a, TreeMap::new));
  }

  static long id(String hex) {
    return Long.parseUnsignedLong(hex, 16);
  }

  /** A native span record in the trace of {@code parent}, as its child. */
  static byte[] nativeChild(Span parent, long spanId, String name) {
    String trace = parent.getSpanContext().getTraceId();
    return SpanRecordBuilder.span().traceId(id(trace.substring(0, 16)), id(trace.substring(16)))
        .spanId(spanId).parentSpanId(id(parent.getSpanContext().getSpanId())).name(name)
        .start(System.currentTimeMillis() * 1_000_000L)
        .end(System.currentTimeMillis() * 1_000_000L + 1000).build();
  }

  @Test
  void theTracerProviderGetsWeftsClock() {
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of("otel.traces.exporter", "none"));
    try {
      assertThat(auto.getOpenTelemetrySdk().getSdkTracerProvider().toString())
          .contains("clock=WeftClock{");
    } finally {
      auto.getOpenTelemetrySdk().close();
    }
  }

  @Test
  void withTheCollectorTurnedOffTheClockIsTheSdks() {
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of("otel.traces.exporter", "none",
        WeftAutoConfigurationCustomizerProvider.ENABLED_PROPERTY, "false"));
    try {
      assertThat(auto.getOpenTelemetrySdk().getSdkTracerProvider().toString())
          .doesNotContain("WeftClock");
    } finally {
      auto.getOpenTelemetrySdk().close();
    }
  }

  @Test
  void nativeSpansShareTheSdksExporterAndResourceOverOtlp() throws Exception {
    Path segment = dir.resolve("weft-spi");
    SegmentWriter writer = SegmentWriter.create(segment);
    writer.registerScope("native-lib", "1.0");
    writer.claimSlot(0, 4242, "native-0");
    try (OtlpReceiver receiver = new OtlpReceiver(true).start()) {
      AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of(
          "otel.traces.exporter", "otlp",
          "otel.exporter.otlp.protocol", "grpc",
          "otel.exporter.otlp.endpoint", receiver.endpoint(),
          "otel.service.name", "weft-spi",
          "otel.resource.attributes", "deployment.environment.name=test,team=native",
          "weft.collector.segment.path", segment.toString()));
      OpenTelemetrySdk sdk = auto.getOpenTelemetrySdk();
      WeftCollector collector = WeftAutoConfigurationCustomizerProvider.collector().orElseThrow();
      assertThat(collector.segmentPath()).isEqualTo(segment.toAbsolutePath().normalize());

      Span root = sdk.getTracer("app").spanBuilder("jvm-root").startSpan();
      assertThat(writer.append(0, nativeChild(root, 0x51, "native-child"))).isTrue();
      root.end();
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.spanCount() == 2);

      // Right before shutdown: the SDK's shutdown closes the collector first, which exports it.
      assertThat(writer.append(0, nativeChild(root, 0x52, "native-last"))).isTrue();
      assertThat(sdk.shutdown().join(20, TimeUnit.SECONDS).isSuccess()).isTrue();
      assertThat(WeftAutoConfigurationCustomizerProvider.collector()).isEmpty();
      assertThat(receiver.spanCount()).as("the last native span, exported at shutdown")
          .isEqualTo(3);

      List<OtlpReceiver.Received> spans = receiver.received();
      OtlpReceiver.Received jvm = spans.stream()
          .filter(r -> r.span.getName().equals("jvm-root")).findFirst().orElseThrow();
      Map<String, String> jvmResource = attributes(jvm.resource);
      assertThat(jvmResource).containsKeys("service.name", "team", "telemetry.sdk.language");
      for (OtlpReceiver.Received r : spans) {
        if (r.span.getName().startsWith("native")) {
          assertThat(attributes(r.resource)).as(r.span.getName() + "'s Resource")
              .isEqualTo(jvmResource);
          assertThat(HexFormat.of().formatHex(r.span.getParentSpanId().toByteArray()))
              .isEqualTo(root.getSpanContext().getSpanId());
          assertThat(r.scope.getName()).isEqualTo("native-lib");
        }
      }
      assertThat(collector.stats().spansExported()).isEqualTo(2);
    } finally {
      writer.close();
    }
  }

  @Test
  void sharesEveryConfiguredExporter() throws Exception {
    Path segment = dir.resolve("weft-two");
    Path file = dir.resolve("spans.jsonl");
    SegmentWriter writer = SegmentWriter.create(segment);
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 7, "native-0");
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of(
        "otel.traces.exporter", "weft-jsonl,weft-console",
        "otel.exporter.weft.console.stream", "stdout",
        "otel.exporter.weft.jsonl.path", file.toString(),
        "weft.collector.segment.path", segment.toString()));
    Span root = auto.getOpenTelemetrySdk().getTracer("app").spanBuilder("root").startSpan();
    writer.append(0, nativeChild(root, 0x61, "native-in-file"));
    root.end();
    auto.getOpenTelemetrySdk().shutdown().join(20, TimeUnit.SECONDS);
    writer.close();
    assertThat(java.nio.file.Files.readString(file)).contains("\"native-in-file\"")
        .contains("\"root\"");
  }

  @Test
  void theCloseTimeoutIsConfigurable() throws Exception {
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of("otel.traces.exporter", "weft-console",
        "weft.collector.segment.path", dir.resolve("weft-timeout").toString(),
        WeftCollectorBuilder.CLOSE_TIMEOUT_PROPERTY, "7s"));
    try {
      assertThat(WeftAutoConfigurationCustomizerProvider.collector().orElseThrow().closeTimeout())
          .isEqualTo(java.time.Duration.ofSeconds(7));
    } finally {
      auto.getOpenTelemetrySdk().shutdown().join(10, TimeUnit.SECONDS);
    }
    AutoConfiguredOpenTelemetrySdk defaults = sdk(Map.of("otel.traces.exporter", "weft-console",
        "weft.collector.segment.path", dir.resolve("weft-default").toString()));
    try {
      assertThat(WeftAutoConfigurationCustomizerProvider.collector().orElseThrow().closeTimeout())
          .isEqualTo(java.time.Duration.ofMillis(
              WeftCollectorBuilder.DEFAULT_CLOSE_TIMEOUT_MILLIS));
    } finally {
      defaults.getOpenTelemetrySdk().shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void disabledByConfigurationStartsNoCollector() throws Exception {
    Path segment = dir.resolve("weft-off");
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of("otel.traces.exporter", "weft-console",
        "weft.collector.enabled", "false", "weft.collector.segment.path", segment.toString()));
    try {
      assertThat(WeftAutoConfigurationCustomizerProvider.collector()).isEmpty();
      // The segment is free for a collector built by hand.
      WeftCollector.builder().setSegmentPath(segment).setSpanExporter(
          InMemorySpanExporter.create()).setRegisterShutdownHook(false).build().close();
    } finally {
      auto.getOpenTelemetrySdk().shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSecondCollectorOnTheSameSegmentIsAClearError() throws Exception {
    Path segment = dir.resolve("weft-twice");
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of("otel.traces.exporter", "weft-console",
        "weft.collector.segment.path", segment.toString()));
    try {
      assertThatThrownBy(() -> WeftCollector.builder().setSegmentPath(segment)
          .setSpanExporter(InMemorySpanExporter.create()).setRegisterShutdownHook(false).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already reads " + segment.toAbsolutePath())
          .hasMessageContaining("weft.collector.enabled=false");
    } finally {
      auto.getOpenTelemetrySdk().shutdown().join(10, TimeUnit.SECONDS);
    }
    // Once the SDK has shut down, the segment is free again.
    WeftCollector.builder().setSegmentPath(segment).setSpanExporter(
        InMemorySpanExporter.create()).setRegisterShutdownHook(false).build().close();
  }
}
