package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.recovery.SegmentRecovery;
import dev.weft.internal.recovery.StartupRecovery;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collector's start-up recovery of dead processes' segments (weft.recovery.enabled). */
class WeftCollectorRecoveryTest {
  @TempDir Path dir;

  private static void deadSegment(Path path, int spans) throws Exception {
    SegmentWriter.Layout layout = new SegmentWriter.Layout().ring(1 << 16);
    // a creator of another boot (boot id of zeros), whatever pid 515151 is now: dead
    layout.pid = 515151;
    layout.startTicks = 1;
    layout.bootId = new byte[16];
    SegmentWriter w = SegmentWriter.create(path, layout);
    w.registerScope("lib", "");
    w.claimSlot(0, 7, "t");
    for (int i = 1; i <= spans; i++) {
      w.append(0, SpanRecordBuilder.span().spanId(i).build());
    }
    w.writeFrame(0, 0, SpanRecordBuilder.span().spanId(9999).name("open").end(0).build());
    w.setDepth(0, 1);
  }

  @Test
  void aStartingCollectorRecoversTheDeadSegmentsOfItsDirectoryButNotItsOwn() throws Exception {
    deadSegment(dir.resolve("weft-515151"), 20);
    // its own segment, also with a "dead" creator, is drained by the collector, not recovered
    Path own = dir.resolve("weft-own");
    deadSegment(own, 3);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = WeftCollector.builder().setSegmentPath(own)
        .setSpanExporter(exporter).setRecoveryEnabled(true).setRecoveryDirectory(dir).build()) {
      StartupRecovery recovery = collector.startupRecovery();
      assertThat(recovery).isNotNull();
      assertThat(recovery.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(recovery.results()).extracting(r -> r.outcome)
          .containsExactly(SegmentRecovery.Outcome.RECOVERED);
      assertThat(dir.resolve("weft-515151")).doesNotExist();
      assertThat(own).exists();
    }
    // 21 recovered (20 + 1 open) and the 3 the collector drained from its own segment
    assertThat(exporter.getFinishedSpanItems()).hasSize(24);
  }

  @Test
  void recoveryCanBeTurnedOff() throws Exception {
    deadSegment(dir.resolve("weft-515151"), 5);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (WeftCollector collector = WeftCollector.builder().setSegmentPath(dir.resolve("none"))
        .setSpanExporter(exporter).setRecoveryEnabled(false).setRecoveryDirectory(dir).build()) {
      assertThat(collector.startupRecovery()).isNull();
    }
    assertThat(dir.resolve("weft-515151")).exists();
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void theBuildRunsWithRecoveryOffInTestsThroughTheEnvironment() {
    // the root pom sets WEFT_RECOVERY_ENABLED=false for every test JVM (see there)
    assertThat(System.getenv("WEFT_RECOVERY_ENABLED")).isEqualTo("false");
    assertThat(WeftCollector.builder().recoveryEnabled()).isFalse();
    assertThat(WeftCollector.builder().setRecoveryEnabled(true).recoveryEnabled()).isTrue();
  }
}
