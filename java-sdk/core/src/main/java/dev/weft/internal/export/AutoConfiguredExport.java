package dev.weft.internal.export;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The span exporter and resource the application's own OpenTelemetry autoconfiguration would
 * build from {@code OTEL_*} environment variables and {@code otel.*} system properties. We run
 * the SDK's autoconfiguration (not our own parsing) and keep what it hands to its span exporter
 * and resource customizers. The protocol defaults to {@code grpc} (set it to something else like
 * the rest of the application if needed); metrics and logs exporters are forced to none, since
 * this SDK instance only exports spans. An OTLP/gRPC span exporter is rebuilt with the same
 * settings over {@link NettyGrpcSenderProvider} (TCP_NODELAY; see there).
 */
public final class AutoConfiguredExport {
  private static final Logger logger = Logger.getLogger(AutoConfiguredExport.class.getName());

  private final AutoConfiguredOpenTelemetrySdk sdk;
  private final SpanExporter exporter;
  private final Resource resource;

  private AutoConfiguredExport(AutoConfiguredOpenTelemetrySdk sdk, SpanExporter exporter,
      Resource resource) {
    this.sdk = sdk;
    this.exporter = exporter;
    this.resource = resource;
  }

  public static AutoConfiguredExport create() {
    List<SpanExporter> exporters = new ArrayList<>();
    AtomicReference<Resource> resource = new AtomicReference<>(Resource.getDefault());
    AutoConfiguredOpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of("otel.exporter.otlp.protocol", "grpc"))
        .addPropertiesCustomizer(config -> Map.of(
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none",
            // this SDK instance is the collector's own: no second collector inside it
            "weft.collector.enabled", "false"))
        .addSpanExporterCustomizer((exporter, config) -> {
          SpanExporter chosen = withNettySender(exporter);
          synchronized (exporters) {
            exporters.add(chosen);
          }
          return chosen;
        })
        .addResourceCustomizer((r, config) -> {
          resource.set(r);
          return r;
        })
        .disableShutdownHook()
        .build();
    SpanExporter exporter;
    synchronized (exporters) {
      if (exporters.isEmpty()) {
        logger.info("OpenTelemetry configuration exports no spans (otel.traces.exporter=none or"
            + " otel.sdk.disabled=true): native spans are drained and discarded");
        exporter = SpanExporter.composite();
      } else {
        exporter = exporters.size() == 1 ? exporters.get(0) : SpanExporter.composite(exporters);
      }
    }
    return new AutoConfiguredExport(sdk, exporter, resource.get());
  }

  /**
   * The same OTLP/gRPC exporter (every setting autoconfiguration gave it) over
   * {@link NettyGrpcSenderProvider} instead of the OkHttp sender, whose Nagle stall caps a
   * pipeline at ~11,000 spans/s per export in flight, with native batches marshalled by Weft
   * ({@link NativeOtlpGrpcSpanExporter}). Other exporters are returned as they are.
   */
  static SpanExporter withNettySender(SpanExporter exporter) {
    if (!(exporter instanceof OtlpGrpcSpanExporter)) {
      return exporter;
    }
    SpanExporter rebuilt =
        NativeOtlpGrpcSpanExporter.build(((OtlpGrpcSpanExporter) exporter).toBuilder());
    exporter.shutdown();
    return rebuilt;
  }

  public SpanExporter exporter() {
    return exporter;
  }

  /**
   * Connects before the first spans need it (issue 10 item 6): an empty OTLP request, sent
   * asynchronously when the exporter is OTLP (gRPC or HTTP), so that the channel, the sender's
   * and the marshaler's classes are ready when the first batch is read from the rings, instead
   * of being set up while the rings fill. Its outcome is only logged (FINE): an unreachable
   * backend is reported by the first real export.
   */
  public void connectAhead() {
    if (!(exporter instanceof OtlpGrpcSpanExporter || exporter instanceof OtlpHttpSpanExporter
        || exporter instanceof NativeOtlpGrpcSpanExporter)) {
      return;
    }
    try {
      CompletableResultCode result = exporter.export(List.of());
      result.whenComplete(() -> logger.fine("weft: connect-ahead request "
          + (result.isSuccess() ? "answered" : "failed") + " (" + exporter + ")"));
    } catch (RuntimeException e) {
      logger.log(Level.FINE, "weft: connect-ahead request not sent", e);
    }
  }

  public Resource resource() {
    return resource;
  }

  /** Shuts the SDK instance down, and with it the exporter. */
  public CompletableResultCode shutdown() {
    return sdk.getOpenTelemetrySdk().shutdown();
  }
}
