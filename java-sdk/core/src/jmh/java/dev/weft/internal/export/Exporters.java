package dev.weft.internal.export;

import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;

/** The two transports under the SDK's own OtlpGrpcSpanExporter that the benchmarks compare. */
final class Exporters {
  private Exporters() {}

  /**
   * @param sender "okhttp" (the SDK's default sender) or "netty" (the collector's default,
   *     {@link NettyGrpcSenderProvider})
   */
  static OtlpGrpcSpanExporter create(String sender, String endpoint) {
    OtlpGrpcSpanExporterBuilder builder = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint);
    switch (sender) {
      case "okhttp":
        break;
      case "netty":
        builder.setComponentLoader(NettyGrpcSenderProvider.componentLoader(
            ComponentLoader.forClassLoader(Exporters.class.getClassLoader())));
        break;
      default:
        throw new IllegalArgumentException("sender: " + sender);
    }
    return builder.build();
  }
}
