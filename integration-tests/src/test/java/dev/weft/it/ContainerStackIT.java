package dev.weft.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.it.harness.ContainerImages;
import dev.weft.it.harness.FreePorts;
import dev.weft.it.harness.HostHttpWaitStrategy;
import dev.weft.it.harness.JaegerQuery;
import dev.weft.it.harness.JaegerTraceAssertions;
import dev.weft.it.harness.LoadgenWorkload;
import dev.weft.it.harness.Repo;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The deployment's images: the Collector image with the shipped
 * {@code collector-config/otel-collector.yaml}, and the Jaeger image, as Testcontainers
 * {@code GenericContainer}s. The same workload as {@link LocalStackTraceIT} exports to the
 * Collector; the same Jaeger checks follow, through Jaeger's query API.
 *
 * <p>Which images: the official ones of docker-compose.yml, or with {@code WEFT_IT_IMAGES=local}
 * those of docker-compose.local-images.yml built by integration-tests/tools/build-local-images.sh
 * (never pulled; CI runs this way). Both containers run on the host network (CI's engine has no
 * bridge network) and listen on 127.0.0.1 only, on free ports, set through the configuration's
 * {@code WEFT_*} variables: the Collector's OTLP, health and Jaeger endpoints, and Jaeger with
 * {@code integration-tests/tools/jaeger-test.yaml} (its built-in configuration binds fixed
 * ports, as does the Collector's self-metrics endpoint, which is turned off here with
 * {@code --set}). Tempo is not started: the Collector's Tempo exporter points at a closed port
 * and retries in the background without holding up the Jaeger exporter.
 *
 * <p>Where no Docker engine is reachable, Testcontainers' {@code disabledWithoutDocker} reports
 * the class as skipped ("disabled") with the reason; a local image that is not built skips the
 * tests, naming the script that builds it.
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ContainerStackIT {
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
  private static final String CONFIG_IN_CONTAINER = "/etc/otelcol-contrib/config.yaml";

  private static final int[] PORTS = FreePorts.take(8);
  private static final int OTLP_GRPC = PORTS[0];
  private static final int OTLP_HTTP = PORTS[1];
  private static final int COLLECTOR_HEALTH = PORTS[2];
  private static final int JAEGER_OTLP_GRPC = PORTS[3];
  private static final int JAEGER_QUERY = PORTS[4];
  private static final int JAEGER_QUERY_GRPC = PORTS[5];
  private static final int JAEGER_HEALTH = PORTS[6];
  /** Nothing listens here: where the shipped config's Tempo exporter sends. */
  private static final int NO_TEMPO = PORTS[7];

  private static GenericContainer<?> jaeger;
  private static GenericContainer<?> collector;
  private static String unavailable;

  @BeforeAll
  static void startContainers() {
    DockerImageName jaegerImage = ContainerImages.of("jaeger");
    DockerImageName collectorImage = ContainerImages.of("otel-collector");
    for (DockerImageName image : new DockerImageName[] {jaegerImage, collectorImage}) {
      String reason = ContainerImages.unavailableReason(image);
      if (reason != null) {
        unavailable = reason;
        return;
      }
    }
    System.out.println("[weft-it] ContainerStackIT: " + ContainerImages.describe() + ": "
        + jaegerImage + ", " + collectorImage);
    jaeger = ContainerImages.withPullPolicy(new GenericContainer<>(jaegerImage))
        .withNetworkMode("host")
        .withCopyFileToContainer(MountableFile.forHostPath(
            Repo.root().resolve("integration-tests/tools/jaeger-test.yaml")), "/etc/jaeger.yaml")
        .withCommand("--config=/etc/jaeger.yaml")
        .withEnv("WEFT_JAEGER_OTLP_GRPC_PORT", Integer.toString(JAEGER_OTLP_GRPC))
        .withEnv("WEFT_JAEGER_QUERY_PORT", Integer.toString(JAEGER_QUERY))
        .withEnv("WEFT_JAEGER_QUERY_GRPC_PORT", Integer.toString(JAEGER_QUERY_GRPC))
        .withEnv("WEFT_JAEGER_HEALTH_PORT", Integer.toString(JAEGER_HEALTH))
        .waitingFor(new HostHttpWaitStrategy(
            URI.create("http://127.0.0.1:" + JAEGER_HEALTH + "/status"))
            .withStartupTimeout(READY_TIMEOUT));
    collector = ContainerImages.withPullPolicy(new GenericContainer<>(collectorImage))
        .withNetworkMode("host")
        .withCopyFileToContainer(MountableFile.forHostPath(
            Repo.root().resolve("collector-config/otel-collector.yaml")), CONFIG_IN_CONTAINER)
        .withCommand("--config=" + CONFIG_IN_CONTAINER,
            "--set=service.telemetry.metrics.level=none")
        .withEnv("WEFT_OTELCOL_OTLP_GRPC_ENDPOINT", "127.0.0.1:" + OTLP_GRPC)
        .withEnv("WEFT_OTELCOL_OTLP_HTTP_ENDPOINT", "127.0.0.1:" + OTLP_HTTP)
        .withEnv("WEFT_OTELCOL_HEALTH_ENDPOINT", "127.0.0.1:" + COLLECTOR_HEALTH)
        .withEnv("WEFT_JAEGER_OTLP_ENDPOINT", "127.0.0.1:" + JAEGER_OTLP_GRPC)
        .withEnv("WEFT_TEMPO_OTLP_ENDPOINT", "127.0.0.1:" + NO_TEMPO)
        .withEnv("GOMEMLIMIT", "400MiB")
        .dependsOn(jaeger)
        .waitingFor(new HostHttpWaitStrategy(
            URI.create("http://127.0.0.1:" + COLLECTOR_HEALTH + "/"))
            .withStartupTimeout(READY_TIMEOUT));
    collector.start();
  }

  @BeforeEach
  void requireImages() {
    Assumptions.assumeTrue(unavailable == null, unavailable);
  }

  @AfterAll
  static void stopContainers() {
    // Collector first, so that it flushes to Jaeger; no Ryuk in CI, so this is the cleanup.
    if (collector != null) {
      collector.stop();
    }
    if (jaeger != null) {
      jaeger.stop();
    }
  }

  @Test
  void theShippedCollectorConfigDeliversJvmAndNativeSpansToJaeger() throws Exception {
    Path work = Repo.outputDir(ContainerStackIT.class.getSimpleName() + "/workload");
    LoadgenWorkload.Result sent =
        LoadgenWorkload.run("http://127.0.0.1:" + OTLP_GRPC, work, 2, 15);
    JaegerQuery query = new JaegerQuery(URI.create("http://127.0.0.1:" + JAEGER_QUERY));
    try {
      // The shipped config batches for up to 1 s.
      JaegerTraceAssertions.assertWholeTrace(query, sent, Duration.ofSeconds(60), work);
      assertThat(query.services()).contains(LoadgenWorkload.SERVICE_NAME);
    } finally {
      Files.writeString(work.resolve("collector.log"), collector.getLogs());
      Files.writeString(work.resolve("jaeger.log"), jaeger.getLogs());
    }
  }
}
