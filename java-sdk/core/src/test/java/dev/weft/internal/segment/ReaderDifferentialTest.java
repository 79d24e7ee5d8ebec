package dev.weft.internal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test: the C reference reader and the Java reader must agree, for every input, on
 * whether the segment is refused and otherwise on the spans read, the open spans and the corrupt
 * and unknown records (docs/fuzzing.md "Differential"). The C side is {@code weft-read-stats
 * --adopt FILE} (c-sdk/tools/weft_read_stats.c), the Java side {@link ReaderStats}, which adopts
 * the bytes the same way. Inputs: every committed seed ({@link Seeds}), the Jazzer working corpus
 * where {@code fuzz-reader.sh} left one, and a bounded number of
 * seeded random mutations of them ({@code -Dweft.differential.mutations}, default 1500;
 * {@code -Dweft.differential.seed}). An input on which they disagree is written to
 * {@code target/differential/} and fails the test.
 */
class ReaderDifferentialTest {
  /** Header fields the validation table names: (offset, width). */
  private static final int[][] HEADER_FIELDS = {
    {8, 2}, {10, 2}, {12, 4}, {24, 4}, {28, 4}, {72, 4}, {76, 4}, {80, 8}, {88, 8}, {96, 4},
    {100, 4}, {104, 4}, {116, 4}, {256, 2}, {258, 2},
  };
  /** Slot-header words: state, depth, tail, head, counters. */
  private static final int[][] SLOT_FIELDS = {{0, 4}, {12, 4}, {128, 8}, {256, 8}, {136, 8}};

  @TempDir Path dir;

  private static Path cli() {
    String explicit = System.getProperty("weft.read.stats");
    if (explicit != null && !explicit.isEmpty()) {
      return Path.of(explicit);
    }
    return Path.of(System.getProperty("weft.native.build.dir", "../../c-sdk/target/cmake"),
        "tools", "weft-read-stats");
  }

  @Test
  void cAndJavaReadersAgreeOnEveryInput() throws Exception {
    Path cli = cli();
    Assumptions.assumeTrue(Files.isExecutable(cli), "C reader CLI not built: no executable "
        + cli + " (it is c-sdk/tools/weft_read_stats.c: build the C SDK first, e.g."
        + " mvn -B -pl c-sdk verify -DskipTests, or pass -Dweft.read.stats=PATH)");
    List<Path> seeds = Seeds.allWithWorkingCorpus();
    assertThat(seeds).as("seeds").isNotEmpty();
    List<byte[]> bases = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (Path seed : seeds) {
      bases.add(Seeds.bytes(seed));
      names.add(seed.getFileName().toString());
    }
    int mutations = Integer.getInteger("weft.differential.mutations", 1500);
    Random random = new Random(Long.getLong("weft.differential.seed", 20261201L));
    Path file = dir.resolve("input.seg");
    List<String> disagreements = new ArrayList<>();
    int compared = 0;
    int accepted = 0;
    for (int i = 0; i < bases.size() + mutations; i++) {
      byte[] input;
      String name;
      if (i < bases.size()) {
        input = bases.get(i);
        name = names.get(i);
      } else {
        int base = random.nextInt(bases.size());
        input = mutate(bases.get(base), random);
        name = "mutation-" + (i - bases.size()) + "-of-" + names.get(base);
      }
      byte[] adopted = ReaderStats.adopt(input);
      Files.write(file, adopted);
      Files.setPosixFilePermissions(file,
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      JsonNode c = runC(cli, file);
      ReaderStats java = ReaderStats.read(file);
      compared++;
      String difference = difference(c, java);
      if (difference != null) {
        Path saved = Path.of("target", "differential", name);
        Files.createDirectories(saved.getParent());
        Files.write(saved, input);
        disagreements.add(name + ": " + difference + " (input saved as " + saved + ")");
      } else if (!java.rejected) {
        accepted++;
      }
    }
    System.out.printf("differential: %d inputs (%d seeds, %d mutations), %d accepted by both,"
        + " %d disagreements%n", compared, bases.size(), mutations, accepted,
        disagreements.size());
    assertThat(disagreements).as("inputs on which the C and Java readers disagree").isEmpty();
    assertThat(accepted).as("inputs both readers accepted").isPositive();
  }

  /** Null if C and Java agree, else what differs. */
  private static String difference(JsonNode c, ReaderStats java) {
    boolean cRejected = c.path("rejected").asBoolean();
    if (cRejected != java.rejected) {
      return "C " + c + " vs Java " + java + (java.rejected ? " (" + java.reason + ")" : "");
    }
    if (cRejected) {
      return null;
    }
    if (c.path("spansRead").asLong() != java.spansRead
        || c.path("openSpans").asLong() != java.openSpans
        || c.path("corruptRecords").asLong() != java.corruptRecords
        || c.path("unknownRecords").asLong() != java.unknownRecords) {
      return "C " + c + " vs Java " + java;
    }
    return null;
  }

  private static JsonNode runC(Path cli, Path file) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(cli.toString(), "--adopt", file.toString())
        .redirectErrorStream(true).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("weft-read-stats did not finish on " + file);
    }
    String text = new String(out, StandardCharsets.UTF_8).trim();
    if (process.exitValue() != 0) {
      throw new AssertionError("weft-read-stats exited " + process.exitValue() + ": " + text);
    }
    return new ObjectMapper().readTree(text);
  }

  /** One to three random changes: bytes, a header or slot field, or the image's length (an image
   * shorter than a header is left as it is: both readers refuse it). */
  static byte[] mutate(byte[] base, Random random) {
    byte[] out = base.clone();
    int changes = 1 + random.nextInt(3);
    for (int k = 0; k < changes && out.length >= Abi.HEADER_SIZE; k++) {
      ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
      switch (random.nextInt(6)) {
        case 0: // random bytes anywhere
          for (int n = 1 + random.nextInt(8); n > 0; n--) {
            out[random.nextInt(out.length)] = (byte) random.nextInt(256);
          }
          break;
        case 1: // a header field the validation table names
          put(b, HEADER_FIELDS[random.nextInt(HEADER_FIELDS.length)], interesting(random));
          break;
        case 2: { // a slot word, for a slot the header claims
          int slot = random.nextInt(4);
          long base0 = b.getLong(80) + slot * b.getLong(88);
          int[] field = SLOT_FIELDS[random.nextInt(SLOT_FIELDS.length)];
          if (base0 >= 0 && base0 + field[0] + field[1] <= out.length) {
            put(b, new int[] {(int) base0 + field[0], field[1]}, interesting(random));
          }
          break;
        }
        case 3: // a word in the rings and frames, where the records are
          if (out.length > 4104) {
            int at = 4096 + (random.nextInt(out.length - 4104) & ~3);
            put(b, new int[] {at, random.nextBoolean() ? 2 : 4}, interesting(random));
          }
          break;
        case 4: // a record's length or type field at a record start in slot 0's ring
          if (out.length > 4096 + 512 + 8) {
            int ring = (int) Math.min(out.length - 8L, 4096L + 512 + (long) b.getInt(96)
                * Math.max(0, b.getInt(100)));
            if (ring > 0 && ring < out.length - 8) {
              put(b, new int[] {ring + (random.nextBoolean() ? 0 : 4), random.nextBoolean() ? 4 : 2},
                  interesting(random));
            }
          }
          break;
        default: // shorter or longer
          out = Arrays.copyOf(out, Math.max(0, out.length + (random.nextBoolean() ? -1 : 1)
              * (random.nextBoolean() ? 4096 : 1 + random.nextInt(64))));
      }
    }
    return out;
  }

  private static long interesting(Random random) {
    long[] values = {0, 1, 2, 7, 8, 16, 80, 82, 255, 256, 511, 512, 4096, 65535, 65536, 65537,
      0x7fffffffL, 0xffffffffL, -1L, -8L, 1L << 32, Long.MIN_VALUE};
    return random.nextInt(4) == 0 ? random.nextLong() : values[random.nextInt(values.length)];
  }

  private static void put(ByteBuffer b, int[] field, long value) {
    int at = field[0];
    if (at < 0 || at + field[1] > b.capacity()) {
      return;
    }
    switch (field[1]) {
      case 2:
        b.putShort(at, (short) value);
        break;
      case 4:
        b.putInt(at, (int) value);
        break;
      default:
        b.putLong(at, value);
    }
  }
}
