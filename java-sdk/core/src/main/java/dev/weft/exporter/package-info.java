/**
 * Span exporters for looking at stitched traces with no backend, selectable by OpenTelemetry's
 * standard configuration ({@code OTEL_TRACES_EXPORTER} / {@code otel.traces.exporter}, combinable
 * with others, e.g. {@code otlp,weft-console}):
 *
 * <ul>
 *   <li>{@value dev.weft.exporter.WeftConsoleSpanExporter#NAME}: each trace as a waterfall tree
 *       on standard error ({@link dev.weft.exporter.WeftConsoleSpanExporter});
 *   <li>{@value dev.weft.exporter.WeftJsonLinesSpanExporter#NAME}: OTLP/JSON lines in a file
 *       ({@link dev.weft.exporter.WeftJsonLinesSpanExporter}).
 * </ul>
 */
@ParametersAreNonnullByDefault
package dev.weft.exporter;

import javax.annotation.ParametersAreNonnullByDefault;
