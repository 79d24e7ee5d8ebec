package dev.weft.internal.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.testing.TestCertificates;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP/gRPC over TLS through {@link NettyGrpcSenderProvider}: the SDK's own TLS settings (trusted
 * certificates, client key and certificate) reach Netty's TLS unchanged. The certificates are
 * generated for the run by the JDK's keytool (RSA 2048, self-signed, SAN ip:127.0.0.1), the
 * receiver is grpc-java's Netty server with JDK TLS and ALPN h2 on 127.0.0.1.
 */
class NettyTlsExportTest {
  @TempDir static Path dir;
  private static TestCertificates certs;
  private static byte[] serverCertPem;
  private static byte[] clientCertPem;
  private static byte[] clientKeyPem;

  private final List<OtlpGrpcSpanExporter> exporters = new ArrayList<>();
  private Server server;
  private final AtomicLong received = new AtomicLong();

  @BeforeAll
  static void certificates() throws Exception {
    certs = TestCertificates.generate(dir);
    serverCertPem = certs.serverCertPem;
    clientCertPem = certs.clientCertPem;
    clientKeyPem = certs.clientKeyPem;
  }

  private void startServer(boolean requireClientCert) throws Exception {
    NioTransport.ensureNoNativeProbe();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .sslContext(certs.serverContext(requireClientCert))
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request,
              StreamObserver<ExportTraceServiceResponse> response) {
            request.getResourceSpansList().forEach(rs -> rs.getScopeSpansList()
                .forEach(ss -> received.addAndGet(ss.getSpansCount())));
            response.onNext(ExportTraceServiceResponse.getDefaultInstance());
            response.onCompleted();
          }
        })
        .build()
        .start();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (OtlpGrpcSpanExporter exporter : exporters) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private OtlpGrpcSpanExporter exporter(OtlpGrpcSpanExporterBuilder builder) {
    OtlpGrpcSpanExporter exporter = builder
        .setEndpoint("https://127.0.0.1:" + server.getPort())
        // a refused handshake leaves the channel in TRANSIENT_FAILURE; exports wait for a
        // connection (waitForReady) until this deadline, then fail
        .setTimeout(java.time.Duration.ofSeconds(5))
        .setRetryPolicy(null)
        .setComponentLoader(NettyGrpcSenderProvider.componentLoader(
            ComponentLoader.forClassLoader(getClass().getClassLoader())))
        .build();
    exporters.add(exporter);
    return exporter;
  }

  private static List<SpanData> spans(int n) {
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      spans.add(TestSpanData.builder()
          .setName("tls.span")
          .setKind(SpanKind.INTERNAL)
          .setSpanContext(SpanContext.create("0123456789abcdef0123456789abcdef",
              String.format("%016x", i + 1), TraceFlags.getSampled(), TraceState.getDefault()))
          .setStartEpochNanos(1_000)
          .setEndEpochNanos(2_000)
          .setStatus(StatusData.unset())
          .setHasEnded(true)
          .setTotalRecordedEvents(0)
          .setTotalRecordedLinks(0)
          .build());
    }
    return spans;
  }

  private static boolean export(OtlpGrpcSpanExporter exporter, int n) {
    CompletableResultCode result = exporter.export(spans(n)).join(30, TimeUnit.SECONDS);
    return result.isSuccess();
  }

  @Test
  void serverTrustedThroughTheSdksCertificateSetting() throws Exception {
    startServer(false);
    OtlpGrpcSpanExporter exporter = exporter(OtlpGrpcSpanExporter.builder()
        .setTrustedCertificates(serverCertPem));
    assertThat(export(exporter, 100)).isTrue();
    assertThat(export(exporter, 50)).isTrue();
    assertThat(received.get()).isEqualTo(150);
  }

  @Test
  void clientCertificateFromTheSdksClientTlsSetting() throws Exception {
    startServer(true);
    OtlpGrpcSpanExporter exporter = exporter(OtlpGrpcSpanExporter.builder()
        .setTrustedCertificates(serverCertPem)
        .setClientTls(clientKeyPem, clientCertPem));
    assertThat(export(exporter, 10)).isTrue();
    assertThat(received.get()).isEqualTo(10);
  }

  @Test
  void aServerThatWantsAClientCertificateRefusesOneWithout() throws Exception {
    startServer(true);
    OtlpGrpcSpanExporter exporter = exporter(OtlpGrpcSpanExporter.builder()
        .setTrustedCertificates(serverCertPem));
    assertThat(export(exporter, 10)).isFalse();
    assertThat(received.get()).isZero();
  }

  @Test
  void anUntrustedServerIsRefused() throws Exception {
    startServer(false);
    // the JVM's default trust store does not know the generated certificate
    OtlpGrpcSpanExporter exporter = exporter(OtlpGrpcSpanExporter.builder());
    assertThat(export(exporter, 10)).isFalse();
    assertThat(received.get()).isZero();
  }
}
