package dev.weft.internal.segment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The committed segment images the fuzz targets start from: the shared test vectors
 * (test-vectors/*.seg), the Java fuzz inputs (src/test/resources/.../SegmentFuzzTestInputs) and,
 * where the C fuzzing branch has landed, the C corpus and regression inputs
 * (c-sdk/fuzz/corpus/*.gz, c-sdk/fuzz/regressions/*.gz).
 */
final class Seeds {
  static final Path VECTORS = Path.of(System.getProperty("weft.test.vectors.dir", "../../test-vectors"));
  static final Path JAVA_INPUTS =
      Path.of("src/test/resources/dev/weft/internal/segment/SegmentFuzzTestInputs");
  static final Path C_FUZZ = Path.of(System.getProperty("weft.c.fuzz.dir",
      VECTORS.resolveSibling("c-sdk").resolve("fuzz").toString()));
  /**
   * The committed, minimised corpora of the two Jazzer targets, one gzipped input per file:
   * {@code reader} ({@link SegmentFuzzTest}) and {@code differential} ({@link
   * DifferentialFuzzTest}); fuzz-reader.sh seeds its working corpus with them.
   */
  static final Path FUZZ_CORPUS = Path.of("src/test/fuzz-corpus");
  /** The Jazzer working corpus of java-sdk/core/scripts/fuzz-reader.sh, where it was run. */
  static final Path JAZZER_CORPUS = Path.of(".cifuzz-corpus");

  private Seeds() {}

  /** {@link #all} and the Jazzer working corpus, if there is one. */
  static List<Path> allWithWorkingCorpus() throws IOException {
    List<Path> result = new ArrayList<>(all());
    result.addAll(files(JAZZER_CORPUS, ""));
    return result;
  }

  static List<Path> all() throws IOException {
    List<Path> result = new ArrayList<>();
    result.addAll(files(VECTORS, ".seg"));
    result.addAll(files(JAVA_INPUTS, ""));
    result.addAll(files(C_FUZZ.resolve("corpus"), ".gz"));
    result.addAll(files(C_FUZZ.resolve("regressions"), ".gz"));
    return result;
  }

  /** The committed corpus of one Jazzer target ({@code reader} or {@code differential}). */
  static List<Path> fuzzCorpus(String target) throws IOException {
    return files(FUZZ_CORPUS.resolve(target), ".gz");
  }

  private static List<Path> files(Path dir, String suffix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().endsWith(suffix)).sorted()
          .collect(Collectors.toList());
    }
  }

  /** The bytes of a seed, gunzipped if it ends in .gz. */
  static byte[] bytes(Path seed) throws IOException {
    if (!seed.getFileName().toString().endsWith(".gz")) {
      return Files.readAllBytes(seed);
    }
    try (InputStream in = new GZIPInputStream(Files.newInputStream(seed))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
