package dev.weft.internal.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
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
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
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
  private static final String PASSWORD = "weft-test";
  @TempDir static Path dir;
  private static Path serverStore;
  private static byte[] serverCertPem;
  private static byte[] clientCertPem;
  private static byte[] clientKeyPem;

  private final List<OtlpGrpcSpanExporter> exporters = new ArrayList<>();
  private Server server;
  private final AtomicLong received = new AtomicLong();

  @BeforeAll
  static void certificates() throws Exception {
    serverStore = keyPair("server", "CN=127.0.0.1", "SAN=ip:127.0.0.1,dns:localhost");
    serverCertPem = exportCert(serverStore, "server");
    Path clientStore = keyPair("client", "CN=weft-test-client", null);
    clientCertPem = exportCert(clientStore, "client");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(clientStore.toFile())) {
      ks.load(in, PASSWORD.toCharArray());
    }
    PrivateKey key = (PrivateKey) ks.getKey("client", PASSWORD.toCharArray());
    clientKeyPem = ("-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static Path keyPair(String alias, String dname, String san) throws Exception {
    Path store = dir.resolve(alias + ".p12");
    List<String> command = new ArrayList<>(List.of(keytool(), "-genkeypair", "-alias", alias,
        "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", dname,
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD,
        "-keypass", PASSWORD));
    if (san != null) {
      command.addAll(List.of("-ext", san));
    }
    run(command);
    return store;
  }

  private static byte[] exportCert(Path store, String alias) throws Exception {
    Path pem = dir.resolve(alias + ".pem");
    run(List.of(keytool(), "-exportcert", "-rfc", "-alias", alias, "-keystore", store.toString(),
        "-storepass", PASSWORD, "-file", pem.toString()));
    return Files.readAllBytes(pem);
  }

  private static String keytool() {
    return Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
  }

  private static void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
  }

  private void startServer(boolean requireClientCert) throws Exception {
    NioTransport.ensureNoNativeProbe();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(serverStore.toFile())) {
      ks.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD.toCharArray());
    SslContextBuilder ssl = GrpcSslContexts.configure(SslContextBuilder.forServer(kmf),
        SslProvider.JDK);
    if (requireClientCert) {
      ssl.trustManager(new java.io.ByteArrayInputStream(clientCertPem))
          .clientAuth(ClientAuth.REQUIRE);
    }
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .sslContext(ssl.build())
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
