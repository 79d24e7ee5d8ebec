package dev.weft.demo;

import dev.weft.WeftCollector;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.annotation.Nullable;

/**
 * One OpenTelemetry SDK for the JVM spans and the native spans: the SDK is configured by
 * OpenTelemetry's autoconfiguration ({@code OTEL_*}, {@code otel.*}), and the Weft collector
 * exports through the same exporter with the same Resource.
 *
 * <p>When no OTLP endpoint is configured, the exporter is the demo's local output instead: a
 * waterfall per trace on the terminal and OTLP JSON lines in a file.
 */
public final class DemoTelemetry implements AutoCloseable {
  private final OpenTelemetrySdk sdk;
  private final WeftCollector collector;
  @Nullable private final LocalTraceOutput local;

  private DemoTelemetry(OpenTelemetrySdk sdk, WeftCollector collector,
      @Nullable LocalTraceOutput local) {
    this.sdk = sdk;
    this.collector = collector;
    this.local = local;
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
   * @param local the local output, or null to use the autoconfigured exporter
   */
  public static DemoTelemetry create(@Nullable LocalTraceOutput local) {
    return create(local, Map.of());
  }

  /**
   * As {@link #create(LocalTraceOutput)}, with configuration properties that override the
   * environment and system properties (tests point the exporter at their receiver with it).
   */
  public static DemoTelemetry create(@Nullable LocalTraceOutput local,
      Map<String, String> overrides) {
    AtomicReference<SpanExporter> exporter = new AtomicReference<>();
    AtomicReference<Resource> resource = new AtomicReference<>();
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
          if (local != null) {
            forced.put("otel.traces.exporter", "none");
          }
          return forced;
        })
        .addResourceCustomizer((r, config) -> {
          resource.set(r);
          return r;
        })
        .addSpanExporterCustomizer((e, config) -> {
          exporter.set(e);
          return e;
        })
        .addTracerProviderCustomizer((builder, config) -> {
          builder.addSpanProcessor(new ThreadAttributesProcessor());
          if (local != null) {
            builder.addSpanProcessor(SimpleSpanProcessor.create(local.javaSide()));
          }
          return builder;
        })
        .disableShutdownHook()
        .build();
    OpenTelemetrySdk sdk = auto.getOpenTelemetrySdk();
    SpanExporter nativeExporter = local != null ? local.nativeSide() : exporter.get();
    if (nativeExporter == null) {
      throw new IllegalStateException("no span exporter configured (otel.traces.exporter=none?)");
    }
    WeftCollector collector = WeftCollector.builder()
        .setSpanExporter(nativeExporter)
        .setResource(resource.get())
        .setMeterProvider(sdk.getMeterProvider())
        .setScheduleDelay(Duration.ofMillis(50))
        .setRegisterShutdownHook(false)
        .build();
    return new DemoTelemetry(sdk, collector, local);
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
   * Drains and exports the native spans (collector first), then flushes the JVM spans and shuts
   * the SDK down, which shuts the exporter down.
   */
  @Override
  public void close() {
    collector.close();
    sdk.close();
    if (local != null) {
      local.close();
    }
  }
}
