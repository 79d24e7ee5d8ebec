package dev.weft.internal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.WeftSegmentSnapshot;
import dev.weft.internal.Counters;
import dev.weft.testing.CollectingSink;
import dev.weft.internal.segment.SegmentWriter;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A header claiming a huge slot table in a large sparse file: the reader bounds what it
 * allocates per slot by {@link Abi#MAX_SLOT_COUNT} (the writer's maximum) and by the file, so it
 * refuses a million slots and reads 65 536 of them inside a 64 MiB heap. Run in a child JVM with
 * {@code -Xmx64m}, where allocating per-slot state for a million slots ran out of memory.
 */
class LargeSparseSegmentTest {
  @TempDir Path dir;

  @Test
  void hugeSlotTablesInSparseFilesStayWithinASmallHeap() throws Exception {
    Path million = sparse(dir.resolve("million"), 1_000_000);
    Path maximum = sparse(dir.resolve("maximum"), Abi.MAX_SLOT_COUNT);
    Path out = dir.resolve("child.txt");
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    Process child = new ProcessBuilder(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-cp", classPath, Child.class.getName(),
        million.toString(), maximum.toString())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(child.waitFor(5, TimeUnit.MINUTES)).as("child JVM ended").isTrue();
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as("child output: %s", lines).isZero();
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("million: refused")
        .contains("slot_count 1000000"));
    assertThat(lines).contains("maximum: slots 65536, drained 0, open 0, snapshot open 0");
  }

  /**
   * A valid header (stride 2048: 512-byte slot header, one 512-byte frame, a 1 KiB ring) for
   * {@code slots} slots; the file is extended to the size the header states, without writing.
   */
  private static Path sparse(Path path, int slots) throws IOException {
    Path small = path.resolveSibling(path.getFileName() + ".src");
    SegmentWriter.create(small, new SegmentWriter.Layout().slots(1).frames(1, 512).ring(1024));
    byte[] header = new byte[Abi.HEADER_SIZE];
    try (FileChannel in = FileChannel.open(small)) {
      in.read(ByteBuffer.wrap(header), 0);
    }
    long stride = 2048;
    long size = Abi.HEADER_SIZE + slots * stride;
    ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(Abi.SEGMENT_SIZE_OFFSET, size).putInt(Abi.SLOT_COUNT_OFFSET, slots)
        .putLong(Abi.SLOT_STRIDE_OFFSET, stride);
    Files.copy(small, path);
    try (FileChannel outChannel = FileChannel.open(path, StandardOpenOption.WRITE)) {
      outChannel.write(ByteBuffer.wrap(header), 0);
      outChannel.write(ByteBuffer.wrap(new byte[8]), size - 8);
    }
    return path;
  }

  /** In the child JVM: attach, drain, read frames and a snapshot of each file. */
  static final class Child {
    public static void main(String[] args) throws Exception {
      String[] names = {"million", "maximum"};
      for (int i = 0; i < args.length; i++) {
        Path path = Paths.get(args[i]);
        Segment segment;
        try {
          segment = Segment.open(path);
        } catch (InvalidSegmentException e) {
          System.out.println(names[i] + ": refused: " + e.getMessage());
          continue;
        }
        Counters counters = new Counters();
        SegmentDrainer drainer = new SegmentDrainer(segment, Resource.empty(), counters);
        CollectingSink sink = new CollectingSink();
        drainer.drain(sink);
        int open = drainer.openSpans(new long[2]).size();
        int snapshot = WeftSegmentSnapshot.read(path).openSpans().size();
        System.out.println(names[i] + ": slots " + segment.slotCount() + ", drained "
            + counters.spansDrained() + ", open " + open + ", snapshot open " + snapshot);
        segment.close();
      }
    }
  }
}
