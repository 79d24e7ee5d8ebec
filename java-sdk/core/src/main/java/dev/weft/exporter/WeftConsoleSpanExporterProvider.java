package dev.weft.exporter;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Locale;

/**
 * Makes {@value WeftConsoleSpanExporter#NAME} selectable in {@code otel.traces.exporter}.
 * {@code otel.exporter.weft.console.stream}: {@code stderr} (default) or {@code stdout}.
 */
public final class WeftConsoleSpanExporterProvider implements ConfigurableSpanExporterProvider {
  /** The property choosing the stream. */
  public static final String STREAM_PROPERTY = "otel.exporter.weft.console.stream";

  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    String stream = config.getString(STREAM_PROPERTY, "stderr").trim().toLowerCase(Locale.ROOT);
    switch (stream) {
      case "stderr":
        return WeftConsoleSpanExporter.create(System.err);
      case "stdout":
        return WeftConsoleSpanExporter.create(System.out);
      default:
        throw new ConfigurationException(STREAM_PROPERTY + " must be stderr or stdout, not \""
            + stream + "\"");
    }
  }

  @Override
  public String getName() {
    return WeftConsoleSpanExporter.NAME;
  }
}
