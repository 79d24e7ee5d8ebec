package dev.weft.internal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing (Jazzer) of the Java reader over whole segment images: each input is
 * written to a file, adopted as ours (uid and size, as {@code weft-read-stats --adopt} does),
 * opened and mapped ({@link Segment}), drained once ({@link SegmentDrainer}, which decodes every
 * span with {@code SpanDecoder}), and its frames read both mapped and with pread (the snapshot).
 * A finding is any exception other than a refusal, a broken invariant of {@link ReaderStats}, a
 * hang or an out-of-memory; the work per input is bounded by the image (docs/shm-abi.md
 * "Bounded work").
 *
 * <p>{@code mvn -B verify} runs it in regression mode over the committed inputs
 * (src/test/resources/.../SegmentFuzzTestInputs/segmentImages) and {@link #seedsPassTheTarget}
 * over the seeds. Fuzzing mode: {@code java-sdk/core/scripts/fuzz-reader.sh SECONDS}
 * (docs/fuzzing.md "Java reader (Jazzer)").
 */
class SegmentFuzzTest {
  private static Path dir;
  private static Path file;

  @BeforeAll
  static void createFile() throws IOException {
    dir = Files.createTempDirectory("weft-fuzz");
    file = dir.resolve("segment");
  }

  @AfterAll
  static void deleteFile() throws IOException {
    Files.deleteIfExists(file);
    Files.deleteIfExists(dir);
  }

  @FuzzTest(maxDuration = "30s")
  void segmentImages(byte[] image) throws IOException {
    ReaderStats.read(image, file);
  }

  /** The seeds of the fuzzing mode (the test vectors), each a valid input of the target. */
  @Test
  void seedsPassTheTarget() throws IOException {
    List<Path> seeds = Seeds.all();
    assertThat(seeds).as("seeds under %s", Seeds.VECTORS).isNotEmpty();
    int accepted = 0;
    for (Path seed : seeds) {
      ReaderStats stats = ReaderStats.read(Seeds.bytes(seed), file);
      accepted += stats.rejected ? 0 : 1;
    }
    assertThat(accepted).as("accepted seeds").isGreaterThan(0);
  }
}
