package dev.weft.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code otel.traces.exporter} selects the exporters by name in an autoconfigured SDK. */
class ExporterSelectionTest {
  @TempDir Path dir;

  private static AutoConfiguredOpenTelemetrySdk sdk(Map<String, String> properties,
      List<SpanExporter> seen) {
    Map<String, String> all = new HashMap<>(properties);
    all.put("otel.metrics.exporter", "none");
    all.put("otel.logs.exporter", "none");
    all.put("weft.collector.enabled", "false");
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> all)
        .addSpanExporterCustomizer((exporter, config) -> {
          seen.add(exporter);
          return exporter;
        })
        .disableShutdownHook()
        .build();
  }

  @Test
  void bothExportersAreSelectableTogetherAndTheFileGetsTheSpans() throws Exception {
    Path file = dir.resolve("out.jsonl");
    List<SpanExporter> seen = new CopyOnWriteArrayList<>();
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of(
        "otel.traces.exporter", "weft-console,weft-jsonl",
        "otel.exporter.weft.console.stream", "stdout",
        "otel.exporter.weft.jsonl.path", file.toString()), seen);
    Span span = auto.getOpenTelemetrySdk().getTracer("selection").spanBuilder("selected")
        .startSpan();
    span.end();
    auto.getOpenTelemetrySdk().shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(seen).hasSize(2).hasAtLeastOneElementOfType(WeftConsoleSpanExporter.class)
        .hasAtLeastOneElementOfType(WeftJsonLinesSpanExporter.class);
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1);
    assertThat(WeftJsonLinesSpanExporterTest.spans(WeftJsonLinesSpanExporterTest.parse(
        lines.get(0)))).extracting(io.opentelemetry.proto.trace.v1.Span::getName)
        .containsExactly("selected");
  }

  @Test
  void combinesWithOtherExporters() {
    List<SpanExporter> seen = new CopyOnWriteArrayList<>();
    AutoConfiguredOpenTelemetrySdk auto = sdk(Map.of(
        "otel.traces.exporter", "otlp,weft-console",
        "otel.exporter.otlp.endpoint", "http://127.0.0.1:1"), seen);
    auto.getOpenTelemetrySdk().shutdown();
    assertThat(seen).hasSize(2).hasAtLeastOneElementOfType(WeftConsoleSpanExporter.class);
  }

  @Test
  void aBadStreamIsAClearError() {
    assertThatThrownBy(() -> sdk(Map.of("otel.traces.exporter", "weft-console",
        "otel.exporter.weft.console.stream", "printer"), new CopyOnWriteArrayList<>()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("otel.exporter.weft.console.stream must be stderr or stdout");
  }
}
