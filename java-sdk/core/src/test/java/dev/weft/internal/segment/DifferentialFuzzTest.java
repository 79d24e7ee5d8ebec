package dev.weft.internal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided C-vs-Java differential (Jazzer): for every input, the C reference reader
 * (in-process, {@link CReader}) and the Java reader ({@link ReaderStats}, from memory) must agree
 * on whether the segment is refused and otherwise on the spans read, the open spans and the
 * corrupt and unknown records; the Java reader's own invariants ({@link ReaderStats}) hold as in
 * {@link SegmentFuzzTest}. Coverage guides through the Java reader (Jazzer instruments
 * {@code dev.weft.**}); the C reader is fuzzed with its own coverage by c-sdk/fuzz.
 *
 * <p>Where the two readers must differ by design (docs/shm-abi.md "Java reader: its rules beside
 * the validation table"), no input of this target can show it: images are at most a few MiB (not
 * over 2 GiB), and a header whose magic is 0 is refused by both. So no input is excluded.
 *
 * <p>{@code mvn -B verify} replays the committed inputs (src/test/resources/.../
 * DifferentialFuzzTestInputs); skipped, saying why, without the C build. Fuzzing mode:
 * {@code java-sdk/core/scripts/fuzz-reader.sh SECONDS differential} (docs/fuzzing.md).
 */
class DifferentialFuzzTest {
  private static ReaderStats.Memory memory;

  @BeforeAll
  static void loadTheCReader() throws IOException {
    String unavailable = CReader.unavailable();
    Assumptions.assumeTrue(unavailable == null, unavailable);
    memory = new ReaderStats.Memory();
  }

  @FuzzTest(maxDuration = "30s")
  void cAndJavaReadersAgree(byte[] image) throws IOException {
    String c = CReader.read(image);
    ReaderStats java = ReaderStats.read(image, memory);
    if (!c.equals(java.toString())) {
      Path saved = save(image);
      throw new AssertionError("the C and Java readers disagree: C " + c
          + (c.contains("true") ? " (" + CReader.refusal() + ")" : "") + ", Java " + java
          + (java.rejected ? " (" + java.reason + ")" : "") + "; input saved as " + saved);
    }
  }

  /**
   * Every committed seed ({@link Seeds#all}) and the committed corpus of the fuzzing runs
   * (src/test/fuzz-corpus/differential, docs/fuzzing.md), as regression inputs.
   */
  @Test
  void theReadersAgreeOnTheCommittedInputs() throws IOException {
    List<Path> corpus = Seeds.fuzzCorpus("differential");
    assertThat(corpus).as("inputs under %s", Seeds.FUZZ_CORPUS.resolve("differential"))
        .isNotEmpty();
    List<Path> inputs = new ArrayList<>(Seeds.all());
    inputs.addAll(corpus);
    for (Path input : inputs) {
      cAndJavaReadersAgree(Seeds.bytes(input));
    }
  }

  private static Path save(byte[] image) throws IOException {
    Path dir = Files.createDirectories(Path.of("target", "differential"));
    Path file = dir.resolve("disagreement-" + Integer.toHexString(
        java.util.Arrays.hashCode(image)) + ".seg");
    Files.write(file, image, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    return file;
  }
}
