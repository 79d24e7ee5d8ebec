package dev.weft.exporter;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Makes {@value WeftJsonLinesSpanExporter#NAME} selectable in {@code otel.traces.exporter}; the
 * file is {@value #PATH_PROPERTY} ({@code OTEL_EXPORTER_WEFT_JSONL_PATH}), default
 * {@link WeftJsonLinesSpanExporter#defaultPath()}. The path is logged once at INFO.
 */
public final class WeftJsonLinesSpanExporterProvider implements ConfigurableSpanExporterProvider {
  private static final Logger logger =
      Logger.getLogger(WeftJsonLinesSpanExporterProvider.class.getName());

  /** The property naming the file. */
  public static final String PATH_PROPERTY = "otel.exporter.weft.jsonl.path";

  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    String configured = config.getString(PATH_PROPERTY, "").trim();
    Path path = configured.isEmpty() ? WeftJsonLinesSpanExporter.defaultPath() : Path.of(configured);
    try {
      WeftJsonLinesSpanExporter exporter = WeftJsonLinesSpanExporter.create(path);
      logger.info("weft-jsonl: writing spans as OTLP/JSON lines to " + exporter.path());
      return exporter;
    } catch (IOException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  @Override
  public String getName() {
    return WeftJsonLinesSpanExporter.NAME;
  }
}
