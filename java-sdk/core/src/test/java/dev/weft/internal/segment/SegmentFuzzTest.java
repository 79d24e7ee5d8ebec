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
 * copied into memory the target owns (a direct buffer reused from input to input), adopted as
 * ours (uid and size, as {@code weft-read-stats --adopt} and the C target do), opened over that
 * memory ({@link Segment#ofMemory}: the file path's validation, without the file), drained once
 * ({@link SegmentDrainer}, which decodes every span with {@code SpanDecoder}), and its frames
 * read both in place and copied out (the snapshot). No file is written per input: the file path
 * ran at under 200 inputs a second, most of it in the file system (docs/fuzzing.md).
 * {@link #theMemoryPathReadsAsTheFilePath} checks that both paths find the same in every
 * committed input.
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
  private static ReaderStats.Memory memory;

  @BeforeAll
  static void createFile() throws IOException {
    dir = Files.createTempDirectory("weft-fuzz");
    file = dir.resolve("segment");
    memory = new ReaderStats.Memory();
  }

  @AfterAll
  static void deleteFile() throws IOException {
    Files.deleteIfExists(file);
    Files.deleteIfExists(dir);
  }

  @FuzzTest(maxDuration = "30s")
  void segmentImages(byte[] image) throws IOException {
    ReaderStats.read(image, memory);
  }

  /**
   * The committed corpus of the fuzzing runs (src/test/fuzz-corpus/reader, docs/fuzzing.md), as
   * regression inputs: every input passes the target.
   */
  @Test
  void theCommittedCorpusPassesTheTarget() throws IOException {
    List<Path> corpus = Seeds.fuzzCorpus("reader");
    assertThat(corpus).as("inputs under %s", Seeds.FUZZ_CORPUS.resolve("reader")).isNotEmpty();
    for (Path input : corpus) {
      segmentImages(Seeds.bytes(input));
    }
  }

  /**
   * The fuzz target reads from memory; the collector from a mapped file. For every committed
   * input (seeds and regression inputs), both find the same: refused or not, and what they count.
   */
  @Test
  void theMemoryPathReadsAsTheFilePath() throws IOException {
    List<Path> seeds = Seeds.all();
    assertThat(seeds).as("seeds").isNotEmpty();
    for (Path seed : seeds) {
      byte[] image = Seeds.bytes(seed);
      assertThat(ReaderStats.read(image, memory).toString()).as("%s", seed)
          .isEqualTo(ReaderStats.read(image, file).toString());
    }
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
