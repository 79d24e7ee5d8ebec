package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self-metrics end up on a global OpenTelemetry the application sets after build(). */
class WeftCollectorGlobalMetricsTest {
  @TempDir Path dir;

  @BeforeEach
  @AfterEach
  void resetGlobal() {
    GlobalOpenTelemetry.resetForTest();
  }

  private static long drained(InMemoryMetricReader reader) {
    return reader.collectAllMetrics().stream()
        .filter(m -> m.getName().equals("weft.spans.drained"))
        .map(MetricData::getLongSumData)
        .flatMap(sum -> sum.getPoints().stream())
        .mapToLong(p -> p.getValue()).sum();
  }

  @Test
  void metricsRegisterOnAGlobalSetAfterBuild() throws Exception {
    Path path = dir.resolve("weft-global");
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 1, "t");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
        .setSpanExporter(exporter).setResource(Resource.getDefault())
        .setRegisterShutdownHook(false).setSegmentPollInterval(Duration.ofMillis(10))
        .setScheduleDelay(Duration.ofMillis(10)).build();
        SdkMeterProvider meterProvider =
            SdkMeterProvider.builder().registerMetricReader(reader).build()) {
      assertThat(GlobalOpenTelemetry.isSet()).as("build() must not set the global").isFalse();
      assertThat(writer.append(0, SpanRecordBuilder.span().spanId(1).build())).isTrue();
      await().until(() -> exporter.getFinishedSpanItems().size() == 1);
      assertThat(collector.stats().spansDrained()).isEqualTo(1);
      assertThat(drained(reader)).isZero();

      OpenTelemetrySdk.builder().setMeterProvider(meterProvider).buildAndRegisterGlobal();

      await().until(() -> drained(reader) == 1);
    }
  }

  @Test
  void closedBeforeTheGlobalIsSetRegistersNothing() throws Exception {
    Path path = dir.resolve("weft-global-closed");
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    WeftCollector.builder().setSegmentPath(path).setSpanExporter(InMemorySpanExporter.create())
        .setResource(Resource.getDefault()).setRegisterShutdownHook(false).build().close();
    try (SdkMeterProvider meterProvider =
        SdkMeterProvider.builder().registerMetricReader(reader).build()) {
      OpenTelemetrySdk.builder().setMeterProvider(meterProvider).buildAndRegisterGlobal();
      assertThat(reader.collectAllMetrics()).isEmpty();
    }
  }
}
