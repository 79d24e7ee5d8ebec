package dev.weft.it.harness;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Jaeger v2 and the test Collector as local processes on free 127.0.0.1 ports, started the way
 * docs/deployment.md ("For the Java integration-test harness") describes:
 * {@code jaeger --config=integration-tests/tools/jaeger-test.yaml} and
 * {@code weft-otelcol --config=collector-config/otel-collector.test.yaml}, Collector → file
 * exporter + Jaeger.
 */
public final class LocalStack implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration MAX_LIFETIME = Duration.ofMinutes(30);

  private final Path dir;
  private final int otlpGrpcPort;
  private final int otlpHttpPort;
  private final int collectorHealthPort;
  private final int jaegerOtlpGrpcPort;
  private final int jaegerQueryPort;
  private final int jaegerQueryGrpcPort;
  private final int jaegerHealthPort;
  private final Path fileExport;
  private ManagedProcess jaeger;
  private ManagedProcess collector;

  private LocalStack(Path dir) {
    this.dir = dir;
    int[] ports = FreePorts.take(7);
    otlpGrpcPort = ports[0];
    otlpHttpPort = ports[1];
    collectorHealthPort = ports[2];
    jaegerOtlpGrpcPort = ports[3];
    jaegerQueryPort = ports[4];
    jaegerQueryGrpcPort = ports[5];
    jaegerHealthPort = ports[6];
    fileExport = dir.resolve("collector-export.jsonl");
  }

  /**
   * Builds (or takes from the cache) both binaries — aborting the calling test when the tools
   * are unavailable — and starts Jaeger, then the Collector; returns once both are healthy.
   * Logs go to {@code dir}.
   */
  public static LocalStack start(Path dir) {
    Path otelcolBinary = ToolBinaries.otelcol();
    Path jaegerBinary = ToolBinaries.jaeger();
    LocalStack stack = new LocalStack(dir);
    try {
      stack.startJaeger(jaegerBinary);
      stack.startCollector(otelcolBinary);
      return stack;
    } catch (RuntimeException | Error e) {
      stack.close();
      throw e;
    }
  }

  private void startJaeger(Path binary) {
    Path config = Repo.root().resolve("integration-tests/tools/jaeger-test.yaml");
    jaeger = ManagedProcess.start("jaeger",
        List.of(binary.toString(), "--config=" + config),
        Map.of("WEFT_JAEGER_OTLP_GRPC_PORT", Integer.toString(jaegerOtlpGrpcPort),
            "WEFT_JAEGER_QUERY_PORT", Integer.toString(jaegerQueryPort),
            "WEFT_JAEGER_QUERY_GRPC_PORT", Integer.toString(jaegerQueryGrpcPort),
            "WEFT_JAEGER_HEALTH_PORT", Integer.toString(jaegerHealthPort)),
        dir.resolve("jaeger.log"), MAX_LIFETIME);
    jaeger.awaitHttpOk(URI.create("http://127.0.0.1:" + jaegerHealthPort + "/status"),
        READY_TIMEOUT);
  }

  private void startCollector(Path binary) {
    Path config = Repo.root().resolve("collector-config/otel-collector.test.yaml");
    collector = ManagedProcess.start("collector",
        List.of(binary.toString(), "--config=" + config),
        Map.of("WEFT_OTLP_GRPC_PORT", Integer.toString(otlpGrpcPort),
            "WEFT_OTLP_HTTP_PORT", Integer.toString(otlpHttpPort),
            "WEFT_OTELCOL_HEALTH_PORT", Integer.toString(collectorHealthPort),
            "WEFT_FILE_EXPORT_PATH", fileExport.toString(),
            "WEFT_JAEGER_OTLP_ENDPOINT", "127.0.0.1:" + jaegerOtlpGrpcPort,
            "WEFT_BIND_HOST", "127.0.0.1"),
        dir.resolve("collector.log"), MAX_LIFETIME);
    collector.awaitHttpOk(URI.create("http://127.0.0.1:" + collectorHealthPort + "/"),
        READY_TIMEOUT);
  }

  /** Where SDKs export: {@code http://127.0.0.1:<OTLP/gRPC port>}. */
  public String otlpGrpcEndpoint() {
    return "http://127.0.0.1:" + otlpGrpcPort;
  }

  public int otlpGrpcPort() {
    return otlpGrpcPort;
  }

  /** Jaeger's query API. */
  public JaegerQuery jaegerQuery() {
    return new JaegerQuery(URI.create("http://127.0.0.1:" + jaegerQueryPort));
  }

  /** What the Collector's file exporter wrote. */
  public OtlpJsonFile fileExport() {
    return new OtlpJsonFile(fileExport);
  }

  public Path dir() {
    return dir;
  }

  /** The last lines of both logs, for a failing test's report. */
  public String diagnostics() {
    StringBuilder sb = new StringBuilder();
    for (ManagedProcess p : new ManagedProcess[] {collector, jaeger}) {
      if (p != null) {
        sb.append("----- ").append(p.name()).append(" (").append(p.log())
            .append(", last 60 lines) -----\n").append(p.tail(60)).append('\n');
      }
    }
    return sb.toString();
  }

  /** Stops the Collector first (so it flushes to Jaeger), then Jaeger. */
  @Override
  public void close() {
    if (collector != null) {
      collector.close();
    }
    if (jaeger != null) {
      jaeger.close();
    }
  }
}
