package dev.weft.internal.export;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.Objects;

/**
 * An SDK's span exporter that a Weft collector also exports through, as the SDK sees it: exports
 * and flushes go straight through; shutdown first closes the collector ({@code closeCollector},
 * which drains its last native spans into the exporter), then shuts the exporter down. For the
 * autoconfiguration of the application's SDK and of the OpenTelemetry agent's.
 */
public final class CollectorFirstSpanExporter implements SpanExporter {
  private final SpanExporter delegate;
  private final Runnable closeCollector;

  public CollectorFirstSpanExporter(SpanExporter delegate, Runnable closeCollector) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.closeCollector = Objects.requireNonNull(closeCollector, "closeCollector");
  }

  /** The SDK's exporter this one hands every export to. */
  public SpanExporter delegate() {
    return delegate;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    return delegate.export(spans);
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    closeCollector.run();
    return delegate.shutdown();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
