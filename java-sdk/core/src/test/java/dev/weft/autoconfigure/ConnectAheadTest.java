package dev.weft.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.WeftCollector;
import dev.weft.testing.OtlpReceiver;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 item 6: a collector that autoconfigures its OTLP exporter connects to the backend
 * when it is built, before any span needs it (one empty request), so that the first batch read
 * from the rings does not wait for the channel and the exporter's first-use set-up.
 */
class ConnectAheadTest {
  @TempDir Path dir;

  @Test
  void anAutoconfiguredCollectorConnectsToTheBackendBeforeTheFirstSpan() throws Exception {
    try (OtlpReceiver receiver = new OtlpReceiver(true).start()) {
      System.setProperty("otel.exporter.otlp.endpoint", receiver.endpoint());
      System.setProperty("otel.exporter.otlp.protocol", "grpc");
      try (WeftCollector collector = WeftCollector.builder()
          .setSegmentPath(dir.resolve("weft-none-yet")).setRegisterShutdownHook(false).build()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requestCount() == 1);
        assertThat(receiver.spanCount()).as("the request carries no span").isZero();
        assertThat(collector.isAttached()).as("no segment yet").isFalse();
        assertThat(collector.stats().exportFailures()).isZero();
      } finally {
        System.clearProperty("otel.exporter.otlp.endpoint");
        System.clearProperty("otel.exporter.otlp.protocol");
      }
    }
  }
}
