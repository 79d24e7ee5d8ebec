package dev.weft.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.NativeCounts;
import dev.weft.internal.segment.Segment;
import dev.weft.testing.LogCapture;
import dev.weft.internal.segment.SegmentWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A ring-full drop in the JVM's first seconds says that the start-up is the likely cause. */
class NativeDropReportTest {
  @TempDir Path dir;

  private NativeCounts ringFull(long dropped) throws Exception {
    Path path = dir.resolve("seg-" + dropped);
    SegmentWriter writer = SegmentWriter.create(path);
    writer.claimSlot(0, 10, "native-0");
    writer.buffer().putLong(writer.slotBase(0) + Abi.SLOT_DROPPED_RING_FULL_OFFSET, dropped);
    try (Segment segment = Segment.open(path)) {
      return NativeCounts.read(segment);
    }
  }

  private static List<String> report(NativeCounts counts, long uptimeMillis) {
    try (LogCapture log = LogCapture.of(CollectorEngine.class)) {
      new NativeDropReport(() -> uptimeMillis).check(counts, Path.of("/dev/shm/weft-x"), 64,
          1 << 20);
      return log.messages(Level.WARNING);
    }
  }

  @Test
  void aRingFullDropInTheFirstSecondsSaysTheStartUpIsTheLikelyCause() throws Exception {
    assertThat(report(ringFull(7), 2_300)).singleElement().asString()
        .contains("was full (7 so far").contains("WEFT_RING_SIZE (now 1024 KiB")
        .contains("2.3 s after this JVM started")
        .contains("Starting the collector a few seconds before")
        .contains("WEFT_RING_SIZE=4M");
  }

  @Test
  void laterOrWithAnUnknownStartItSaysOnlyTheFix() throws Exception {
    for (long uptime : new long[] {NativeDropReport.START_UP_MILLIS, 3_600_000, -1}) {
      assertThat(report(ringFull(5), uptime)).singleElement().asString()
          .contains("was full (5 so far").contains("WEFT_RING_SIZE (now 1024 KiB")
          .doesNotContain("after this JVM started");
    }
  }
}
