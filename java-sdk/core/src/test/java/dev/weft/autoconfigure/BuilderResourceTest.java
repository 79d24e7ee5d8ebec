package dev.weft.autoconfigure;

import static dev.weft.autoconfigure.WeftAutoConfigurationTest.attributes;
import static dev.weft.autoconfigure.WeftAutoConfigurationTest.nativeChild;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.WeftCollector;
import dev.weft.testing.OtlpReceiver;
import dev.weft.internal.segment.SegmentWriter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WeftCollector#builder()} with its defaults, beside an SDK the application autoconfigures
 * from the same {@code otel.*} configuration (with the SPI's collector turned off): the native
 * spans carry the JVM spans' Resource, attribute by attribute, over real OTLP/gRPC.
 */
class BuilderResourceTest {
  @TempDir Path dir;

  @Test
  void theBuildersAutoconfiguredResourceIsTheJvmsOwn() throws Exception {
    Path segment = dir.resolve("weft-builder");
    SegmentWriter writer = SegmentWriter.create(segment);
    writer.registerScope("native-lib", "1.0");
    writer.claimSlot(0, 99, "native-0");
    Map<String, String> properties = Map.of(
        "otel.exporter.otlp.protocol", "grpc",
        "otel.service.name", "weft-builder",
        "otel.resource.attributes", "team=native",
        "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none",
        "otel.bsp.schedule.delay", "10",
        "weft.collector.enabled", "false");
    try (OtlpReceiver receiver = new OtlpReceiver(true).start()) {
      // The builder reads the same system properties and environment as the application.
      System.setProperty("otel.exporter.otlp.endpoint", receiver.endpoint());
      properties.forEach(System::setProperty);
      OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder().disableShutdownHook()
          .build().getOpenTelemetrySdk();
      try (WeftCollector collector = WeftCollector.builder().setSegmentPath(segment)
          .setRegisterShutdownHook(false).setScheduleDelay(Duration.ofMillis(10)).build()) {
        Span root = sdk.getTracer("app").spanBuilder("jvm-root").startSpan();
        writer.append(0, nativeChild(root, 0x71, "native-child"));
        root.end();
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.spanCount() == 2
            && collector.stats().spansExported() == 1);
      } finally {
        sdk.shutdown().join(10, TimeUnit.SECONDS);
        System.clearProperty("otel.exporter.otlp.endpoint");
        properties.keySet().forEach(System::clearProperty);
        writer.close();
      }
      OtlpReceiver.Received jvm = receiver.received().stream()
          .filter(r -> r.span.getName().equals("jvm-root")).findFirst().orElseThrow();
      OtlpReceiver.Received nativeSpan = receiver.received().stream()
          .filter(r -> r.span.getName().equals("native-child")).findFirst().orElseThrow();
      assertThat(attributes(jvm.resource)).containsKeys("service.name", "team");
      assertThat(attributes(nativeSpan.resource)).isEqualTo(attributes(jvm.resource));
    }
  }
}
