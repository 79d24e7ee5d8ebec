package dev.weft.testing;

import dev.weft.internal.export.NettyGrpcSenderProvider;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.function.Function;

/** Exporters of the end-to-end tests. */
public final class TestExporters {
  private TestExporters() {}

  /**
   * An OTLP/gRPC exporter to {@code receiver} over the collector's default transport (see
   * NettyGrpcSenderProvider): the SDK's OkHttp sender stalls on Nagle and can reject concurrent
   * exports ("executor rejected").
   */
  public static OtlpGrpcSpanExporterBuilder otlpTo(OtlpReceiver receiver) {
    return OtlpGrpcSpanExporter.builder().setEndpoint(receiver.endpoint())
        .setComponentLoader(NettyGrpcSenderProvider.componentLoader(
            ComponentLoader.forClassLoader(TestExporters.class.getClassLoader())));
  }

  /** An exporter whose every export fails (a backend that refuses everything). */
  public static SpanExporter failing() {
    return answering(spans -> CompletableResultCode.ofFailure());
  }

  /**
   * An exporter that answers each export with what {@code answer} returns; flush and shutdown
   * succeed at once.
   */
  public static SpanExporter answering(
      Function<Collection<SpanData>, CompletableResultCode> answer) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return answer.apply(spans);
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
  }
}
