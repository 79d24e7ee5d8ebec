package dev.weft.cli;

import dev.weft.internal.export.AutoConfiguredExport;
import java.util.Locale;

/** The span exporter of the standard OpenTelemetry configuration ({@code OTEL_*}, {@code otel.*}). */
final class Exporters {
  private Exporters() {}

  /**
   * Builds the exporter OpenTelemetry autoconfiguration makes (OTLP/gRPC to
   * {@code OTEL_EXPORTER_OTLP_ENDPOINT}, default http://localhost:4317, unless
   * {@code OTEL_TRACES_EXPORTER} says otherwise).
   *
   * @throws WeftCommand.UserError if the configuration exports nothing: recovering or collecting
   *     would then take spans out of the segments and lose them
   */
  static AutoConfiguredExport create() throws WeftCommand.UserError {
    String exporter = setting("otel.traces.exporter");
    String disabled = setting("otel.sdk.disabled");
    if ("none".equals(exporter) || "true".equals(disabled)) {
      throw new WeftCommand.UserError("the OpenTelemetry configuration exports no spans ("
          + ("true".equals(disabled) ? "otel.sdk.disabled=true" : "otel.traces.exporter=none")
          + "): the spans would be taken out of the segments and lost. Set"
          + " OTEL_TRACES_EXPORTER (default otlp) and OTEL_EXPORTER_OTLP_ENDPOINT");
    }
    return AutoConfiguredExport.create();
  }

  /** Where the spans go, for the log line. */
  static String describe() {
    String exporter = setting("otel.traces.exporter");
    String endpoint = setting("otel.exporter.otlp.traces.endpoint");
    if (endpoint == null) {
      endpoint = setting("otel.exporter.otlp.endpoint");
    }
    return (exporter == null ? "otlp" : exporter)
        + (exporter == null || exporter.contains("otlp")
            ? " to " + (endpoint == null ? "http://localhost:4317 (the default)" : endpoint) : "");
  }

  /** A setting as autoconfiguration reads it: system property, else environment variable. */
  static String setting(String property) {
    String value = System.getProperty(property);
    if (value == null) {
      value = System.getenv(property.toUpperCase(Locale.ROOT).replace('.', '_'));
    }
    return value == null || value.isBlank() ? null : value.trim().toLowerCase(Locale.ROOT);
  }
}
