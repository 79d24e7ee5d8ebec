package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.export.ExportPipeline;
import dev.weft.testing.LogCapture;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export failures are not silent and lose nothing: the first is logged once (endpoint, error,
 * what to check), recorded in {@link WeftStats#lastExportError()} with its time, counted as
 * retried, and the spans are exported once the exporter works again; the recovery is logged
 * once; a new failure after it is logged again; what is still unexported at close is given up
 * and counted.
 */
class ExportFailureReportingTest {
  @TempDir Path dir;

  /** Fails while {@code down} is set, as an OTLP exporter does, with its endpoint in toString. */
  static final class FlakyExporter implements SpanExporter {
    final AtomicBoolean down = new AtomicBoolean(true);

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return down.get()
          ? CompletableResultCode.ofExceptionalFailure(new IOException("Connection refused"))
          : CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public String toString() {
      return "FlakyExporter{endpoint=http://127.0.0.1:9, timeout=10s}";
    }
  }

  @Test
  void failuresAreLoggedOnceRecordedAndCountedAndTheRecoveryIsLogged() throws Exception {
    LogCapture log = LogCapture.of(ExportPipeline.class);
    Path path = dir.resolve("weft-flaky");
    SegmentWriter writer = SegmentWriter.create(path);
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 1, "native-0");
    FlakyExporter exporter = new FlakyExporter();
    long before = System.currentTimeMillis();
    try (WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
        .setSpanExporter(exporter).setRegisterShutdownHook(false)
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "f")))
        .setScheduleDelay(Duration.ofMillis(5)).build()) {
      assertThat(collector.stats().lastExportError()).isEmpty();
      assertThat(collector.stats().lastExportErrorEpochMillis()).isZero();
      for (int i = 1; i <= 3; i++) {
        writer.append(0, SpanRecordBuilder.span().spanId(i).build());
        int expected = i;
        await().until(() -> collector.stats().exportRetries() >= expected);
      }
      WeftStats stats = collector.stats();
      assertThat(stats.lastExportError()).hasValue("IOException: Connection refused");
      assertThat(stats.lastExportErrorEpochMillis()).isBetween(before,
          System.currentTimeMillis());
      assertThat(stats.exportFailures()).as("retried, not given up").isZero();
      assertThat(writer.head(0)).as("not acknowledged: the ring keeps them").isZero();

      exporter.down.set(false);
      writer.append(0, SpanRecordBuilder.span().spanId(10).build());
      await().until(() -> collector.stats().spansExported() == 4);
      assertThat(writer.head(0)).isEqualTo(writer.tail(0));
      exporter.down.set(true);
      long retried = collector.stats().exportRetries();
      writer.append(0, SpanRecordBuilder.span().spanId(11).build());
      await().until(() -> collector.stats().exportRetries() > retried);
      closeWhileOpen(collector);
      assertThat(collector.stats().exportFailures()).as("given up at close").isEqualTo(1);
      assertThat(collector.stats().spansExported()).isEqualTo(4);
    } finally {
      log.close();
      writer.close();
    }
    List<String> warnings = log.messages(Level.WARNING);
    assertThat(warnings).as("one per outage: 3 failures, a recovery, 1 failure").hasSize(2);
    assertThat(warnings.get(0)).startsWith("weft: cannot export native spans to"
        + " http://127.0.0.1:9: IOException: Connection refused")
        .contains("OTEL_EXPORTER_OTLP_ENDPOINT");
    List<String> infos = log.messages(Level.INFO);
    assertThat(infos).hasSize(1);
    assertThat(infos.get(0)).contains("http://127.0.0.1:9 works again (")
        .contains("spans retried in all)");
  }

  /** Closes the collector inside its try-with-resources (the second close does nothing). */
  private static void closeWhileOpen(WeftCollector collector) {
    collector.close();
  }
}
