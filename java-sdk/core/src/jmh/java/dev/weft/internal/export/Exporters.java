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
    return create(sender, endpoint, null);
  }

  /** The same; for an {@code https} endpoint, trusting {@code trustedPem}. */
  static OtlpGrpcSpanExporter create(String sender, String endpoint,
      @javax.annotation.Nullable byte[] trustedPem) {
    OtlpGrpcSpanExporterBuilder builder = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint);
    if (trustedPem != null) {
      builder.setTrustedCertificates(trustedPem);
    }
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
