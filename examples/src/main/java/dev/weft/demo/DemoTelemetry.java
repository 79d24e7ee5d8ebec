package dev.weft.demo;

import dev.weft.WeftCollector;
import dev.weft.autoconfigure.WeftAutoConfigurationCustomizerProvider;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.annotation.Nullable;

/**
 * One OpenTelemetry SDK for the JVM spans and the native spans: the SDK is configured by
 * OpenTelemetry's autoconfiguration ({@code OTEL_*}, {@code otel.*}), and the Weft collector,
 * which weft-java-sdk's autoconfigure SPI starts inside it, exports through the same exporters
 * with the same Resource. There is no Weft code here but {@link #collector()}.
 *
 * <p>When no OTLP endpoint is configured, the exporters are Weft's own {@code weft-console} (a
 * waterfall per trace, here on standard output) and {@code weft-jsonl} (OTLP/JSON lines in a
 * file), selected by standard configuration as any application can.
 */
public final class DemoTelemetry implements AutoCloseable {
  private final OpenTelemetrySdk sdk;
  private final WeftCollector collector;

  private DemoTelemetry(OpenTelemetrySdk sdk, WeftCollector collector) {
    this.sdk = sdk;
    this.collector = collector;
  }

  /** True if the environment or system properties name an OTLP endpoint for traces. */
  public static boolean otlpConfigured() {
    for (String name : new String[] {"OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}) {
      String value = System.getenv(name);
      if (value != null && !value.isEmpty()) {
        return true;
      }
    }
    for (String name : new String[] {"otel.exporter.otlp.endpoint",
        "otel.exporter.otlp.traces.endpoint"}) {
      String value = System.getProperty(name);
      if (value != null && !value.isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Builds the SDK and starts the collector.
   *
   * @param localJsonFile with no backend: the file for {@code weft-jsonl}, the waterfalls going
   *     to standard output; null to use the configured exporters
   */
  public static DemoTelemetry create(@Nullable Path localJsonFile) {
    return create(localJsonFile, Map.of());
  }

  /**
   * As {@link #create(Path)}, with configuration properties that override the environment and
   * system properties (tests point the exporter at their receiver with it).
   */
  public static DemoTelemetry create(@Nullable Path localJsonFile,
      Map<String, String> overrides) {
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.service.name", "weft-demo");
    defaults.put("otel.metrics.exporter", "none");
    defaults.put("otel.logs.exporter", "none");
    defaults.put("otel.exporter.otlp.protocol", "grpc");
    defaults.put("otel.bsp.schedule.delay", "200");
    AutoConfiguredOpenTelemetrySdk auto = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults)
        .addPropertiesCustomizer(config -> {
          Map<String, String> forced = new HashMap<>(overrides);
          if (localJsonFile != null) {
            forced.put("otel.traces.exporter", "weft-console,weft-jsonl");
            forced.put("otel.exporter.weft.console.stream", "stdout");
            forced.put("otel.exporter.weft.jsonl.path", localJsonFile.toString());
          }
          return forced;
        })
        .addTracerProviderCustomizer((builder, config) -> {
          builder.addSpanProcessor(new ThreadAttributesProcessor());
          return builder;
        })
        .disableShutdownHook()
        .build();
    OpenTelemetrySdk sdk = auto.getOpenTelemetrySdk();
    // weft-java-sdk's autoconfigure SPI started the collector inside this SDK, with its
    // exporters and Resource.
    WeftCollector collector = WeftAutoConfigurationCustomizerProvider.collector()
        .orElseThrow(() -> new IllegalStateException(
            "no Weft collector: otel.traces.exporter=none or weft.collector.enabled=false?"));
    return new DemoTelemetry(sdk, collector);
  }

  public OpenTelemetry openTelemetry() {
    return sdk;
  }

  public Tracer tracer() {
    return sdk.getTracer("dev.weft.demo", "0.1.0");
  }

  public WeftCollector collector() {
    return collector;
  }

  /**
   * Shuts the SDK down: each exporter's shutdown first closes the collector (the last native
   * spans are exported), then the exporters shut down (the console one prints what it holds).
   */
  @Override
  public void close() {
    sdk.close();
  }
}
