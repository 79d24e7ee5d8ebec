package dev.weft.it;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.weft.it.harness.ComposeImages;
import dev.weft.it.harness.JaegerQuery;
import dev.weft.it.harness.JaegerTraceAssertions;
import dev.weft.it.harness.LoadgenWorkload;
import dev.weft.it.harness.Repo;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The deployment as shipped: the Collector image of docker-compose.yml with the repository's
 * {@code collector-config/otel-collector.yaml}, and the Jaeger image of docker-compose.yml, in
 * one Docker network (Jaeger reachable as {@code jaeger}, as in compose). The same workload as
 * {@link LocalStackTraceIT} exports to the Collector; the trace is checked through Jaeger's query
 * API. Tempo is not started (its exporter in the shipped config retries in the background and
 * does not hold up the Jaeger exporter).
 *
 * <p>Where no Docker engine is reachable, Testcontainers' {@code disabledWithoutDocker} reports the
 * class as skipped ("disabled") with the reason.
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ContainerStackIT {
  private static final int COLLECTOR_OTLP_GRPC = 4317;
  private static final int COLLECTOR_HEALTH = 13133;
  private static final int JAEGER_QUERY = 16686;
  private static final int JAEGER_HEALTH = 13133;

  static final Network network = Network.newNetwork();

  @Container
  static final GenericContainer<?> jaeger =
      new GenericContainer<>(DockerImageName.parse(ComposeImages.image("jaeger")))
          .withNetwork(network).withNetworkAliases("jaeger")
          .withEnv("JAEGER_LISTEN_HOST", "0.0.0.0")
          .withExposedPorts(JAEGER_QUERY, JAEGER_HEALTH)
          .withCreateContainerCmdModifier(cmd -> publishOnLoopback(cmd, JAEGER_QUERY, JAEGER_HEALTH))
          .waitingFor(Wait.forHttp("/status").forPort(JAEGER_HEALTH).forStatusCode(200)
              .withStartupTimeout(Duration.ofMinutes(3)));

  @Container
  static final GenericContainer<?> collector =
      new GenericContainer<>(DockerImageName.parse(ComposeImages.image("otel-collector")))
          .withNetwork(network).withNetworkAliases("otel-collector")
          .withCopyFileToContainer(
              MountableFile.forHostPath(Repo.root().resolve("collector-config/otel-collector.yaml")),
              "/etc/otelcol-contrib/config.yaml")
          .withCommand("--config=/etc/otelcol-contrib/config.yaml")
          .withEnv("WEFT_JAEGER_OTLP_ENDPOINT", "jaeger:4317")
          .withEnv("WEFT_TEMPO_OTLP_ENDPOINT", "tempo:4317")
          .withEnv("GOMEMLIMIT", "400MiB")
          .withExposedPorts(COLLECTOR_OTLP_GRPC, COLLECTOR_HEALTH)
          .withCreateContainerCmdModifier(
              cmd -> publishOnLoopback(cmd, COLLECTOR_OTLP_GRPC, COLLECTOR_HEALTH))
          .dependsOn(jaeger)
          .waitingFor(Wait.forHttp("/").forPort(COLLECTOR_HEALTH).forStatusCode(200)
              .withStartupTimeout(Duration.ofMinutes(3)));

  /**
   * With a local engine, publishes the ports on 127.0.0.1 only (random host ports), instead of
   * on every interface. With a remote engine (DOCKER_HOST=tcp://...) it leaves them as they are,
   * or they could not be reached.
   */
  private static void publishOnLoopback(com.github.dockerjava.api.command.CreateContainerCmd cmd,
      int... ports) {
    String dockerHost = System.getenv("DOCKER_HOST");
    if (dockerHost != null && dockerHost.startsWith("tcp://")
        && !dockerHost.startsWith("tcp://127.0.0.1") && !dockerHost.startsWith("tcp://localhost")) {
      return;
    }
    List<PortBinding> bindings = Arrays.stream(ports)
        .mapToObj(p -> new PortBinding(Ports.Binding.bindIp("127.0.0.1"), ExposedPort.tcp(p)))
        .toList();
    cmd.getHostConfig().withPublishAllPorts(false).withPortBindings(bindings);
  }

  private static String host() {
    String host = collector.getHost();
    return host.equals("localhost") ? "127.0.0.1" : host;
  }

  @Test
  void theShippedCollectorConfigDeliversJvmAndNativeSpansToJaeger() throws Exception {
    String endpoint = "http://" + host() + ":" + collector.getMappedPort(COLLECTOR_OTLP_GRPC);
    Path work = Repo.outputDir(ContainerStackIT.class.getSimpleName() + "/workload");
    LoadgenWorkload.Result sent = LoadgenWorkload.run(endpoint, work, 2, 15);
    JaegerQuery query = new JaegerQuery(
        URI.create("http://" + host() + ":" + jaeger.getMappedPort(JAEGER_QUERY)));
    try {
      // The shipped config batches for up to 1 s.
      JaegerTraceAssertions.assertWholeTrace(query, sent, Duration.ofSeconds(60), work);
    } catch (AssertionError e) {
      System.out.println("[weft-it] collector log:\n" + collector.getLogs());
      System.out.println("[weft-it] jaeger log:\n" + jaeger.getLogs());
      throw e;
    }
  }
}
