package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Races with the file system (issue "The segment is hostile input", deliverable 3): for a few
 * seconds, one thread truncates, extends and replaces the segment file and writes spans into it
 * while a {@link WeftCollector} has it mapped, and another calls every public method of the
 * collector and {@link WeftSegmentSnapshot#read} without pause. No error may escape a public
 * method (an {@link IOException} from {@code read} is its documented answer to a file that is not
 * a valid segment); the collector keeps running and attaches to the last valid segment;
 * {@code close()} returns well before its timeout.
 */
class SegmentFileRaceTest {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RACE = Duration.ofSeconds(3);

  @TempDir Path dir;

  @Test
  void truncateExtendAndReplaceWhileMappedNeverReachesACaller() throws Exception {
    Path path = dir.resolve("weft-race");
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    WeftCollector collector = WeftCollector.builder().setSegmentPath(path)
        .setSpanExporter(exporter).setResource(Resource.empty()).setRegisterShutdownHook(false)
        .setScheduleDelay(Duration.ofMillis(5)).setSegmentPollInterval(Duration.ofMillis(2))
        .setCloseTimeout(CLOSE_TIMEOUT).build();
    List<Throwable> escaped = new CopyOnWriteArrayList<>();
    AtomicBoolean racing = new AtomicBoolean(true);
    AtomicLong calls = new AtomicLong();
    AtomicLong snapshotRefusals = new AtomicLong();
    Thread caller = new Thread(() -> {
      while (racing.get()) {
        try {
          collector.stats();
          collector.isAttached();
          collector.segmentRefusal();
          try {
            WeftSegmentSnapshot.read(path).openSpans();
          } catch (IOException e) {
            snapshotRefusals.incrementAndGet(); // documented: missing, refused or shrank
          }
          calls.incrementAndGet();
        } catch (Throwable t) {
          escaped.add(t);
        }
      }
    }, "public-api-caller");
    long truncations = 0;
    long extensions = 0;
    long replacements = 0;
    long spansWritten = 0;
    try {
      caller.start();
      Random random = new Random(11);
      SegmentWriter writer = fresh(path);
      boolean whole = true; // the writer's mapping may be written only while the file is whole
      long size = Files.size(path);
      long end = System.nanoTime() + RACE.toNanos();
      while (System.nanoTime() - end < 0) {
        switch (random.nextInt(4)) {
          case 0: // truncate: to nothing, to the header, or into the slots
            long[] sizes = {0, 4096, 4096 + random.nextInt((int) (size - 4096))};
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
              file.setLength(sizes[random.nextInt(sizes.length)]);
            }
            whole = false;
            truncations++;
            break;
          case 1: // extend back to the size the header states (the lost bytes come back as 0)
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
              file.setLength(size);
            }
            extensions++;
            // Only a file that kept its header is a segment again; write into it then.
            whole = Files.size(path) == size && headerSurvived(path);
            break;
          case 2: // replace: a new file (a new inode) at the path
            writer = fresh(path);
            whole = true;
            replacements++;
            break;
          default:
            if (whole) {
              for (int i = 0; i < 8; i++) {
                spansWritten += writer.append(0, SpanRecordBuilder.span()
                    .spanId(1 + random.nextInt(1 << 20)).build()) ? 1 : 0;
              }
            }
        }
        Thread.sleep(random.nextInt(3));
      }
      racing.set(false);
      caller.join();
      // The last word: a valid segment with one more span; the collector must export it.
      int before = exporter.getFinishedSpanItems().size();
      // Its creator runs (this process), so the collector stays attached to it.
      SegmentWriter last = SegmentWriter.create(path);
      last.registerScope("lib", "1.0");
      last.claimSlot(0, 3, "native");
      last.append(0, SpanRecordBuilder.span().spanId(424242).build());
      await().atMost(Duration.ofSeconds(30)).until(() ->
          exporter.getFinishedSpanItems().stream()
              .anyMatch(s -> s.getSpanContext().getSpanId().equals("0000000000067932")));
      assertThat(exporter.getFinishedSpanItems().size()).isGreaterThan(before);
      assertThat(collector.isAttached()).isTrue();
    } finally {
      racing.set(false);
      long start = System.nanoTime();
      collector.close();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(CLOSE_TIMEOUT);
    }
    assertThat(escaped).as("errors that escaped a public method").isEmpty();
    assertThat(calls.get()).as("public-method rounds during the race").isPositive();
    assertThat(truncations).isPositive();
    assertThat(extensions).isPositive();
    assertThat(replacements).isPositive();
    System.out.printf("race: %d truncations, %d extensions, %d replacements, %d spans written,"
        + " %d exported, %d rounds of public calls (%d snapshot refusals)%n", truncations,
        extensions, replacements, spansWritten, exporter.getFinishedSpanItems().size(),
        calls.get(), snapshotRefusals.get());
  }

  private static SegmentWriter fresh(Path path) throws IOException {
    // A dead creator's: only such a segment is replaced by a successor at the same path.
    SegmentWriter writer = SegmentWriter.create(path, new SegmentWriter.Layout().deadCreator());
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 3, "native");
    return writer;
  }

  private static boolean headerSurvived(Path path) throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "r")) {
      return file.length() >= 8 && file.readLong() != 0;
    }
  }
}
