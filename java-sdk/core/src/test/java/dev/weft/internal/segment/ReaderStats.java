package dev.weft.internal.segment;

import dev.weft.WeftSegmentSnapshot;
import dev.weft.internal.Counters;
import dev.weft.testing.CollectingSink;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * What the Java reader finds in a segment image: the counterpart of the C reader's
 * {@code weft-read-stats --adopt FILE} (c-sdk/tools/weft_read_stats.c), for the fuzz target and
 * the differential test. Like {@code --adopt}, the image is taken as a segment this process
 * created at this size: our uid goes to {@code creator_uid} and the image's length to
 * {@code segment_size}; every other field is validated as given. Then one drain pass over every
 * ring, and the open spans of the frames.
 *
 * <p>Checks the invariants every input must keep (they throw {@link AssertionError}): a second
 * pass finds nothing, every span delivered has ended, the snapshot (read with pread) finds the
 * same open spans as the mapped reader.
 */
final class ReaderStats {
  final boolean rejected;
  final String reason;
  final long spansRead;
  final long openSpans;
  final long corruptRecords;
  final long unknownRecords;

  private ReaderStats(boolean rejected, String reason, long spansRead, long openSpans,
      long corruptRecords, long unknownRecords) {
    this.rejected = rejected;
    this.reason = reason;
    this.spansRead = spansRead;
    this.openSpans = openSpans;
    this.corruptRecords = corruptRecords;
    this.unknownRecords = unknownRecords;
  }

  /** The image as {@code --adopt} sees it: our uid, its own length as {@code segment_size}. */
  static byte[] adopt(byte[] image) throws IOException {
    byte[] copy = image.clone();
    if (copy.length >= Abi.HEADER_SIZE) {
      ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN)
          .putInt(Abi.CREATOR_UID_OFFSET, Segment.currentUid())
          .putLong(Abi.SEGMENT_SIZE_OFFSET, copy.length);
    }
    return copy;
  }

  /** Writes {@code image}, adopted, to {@code file} (mode 0600) and reads it. */
  static ReaderStats read(byte[] image, Path file) throws IOException {
    if (!Files.exists(file)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
    }
    Files.write(file, adopt(image), StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE);
    return read(file);
  }

  static ReaderStats read(Path file) throws IOException {
    return read(new Opener() {
      @Override
      public Segment mapped() throws IOException {
        return Segment.open(file);
      }

      @Override
      public PostMortem snapshot() throws IOException {
        return PostMortem.read(file, Resource.empty());
      }

      @Override
      public boolean snapshotRefuses() {
        return ReaderStats.snapshotRefuses(file);
      }
    });
  }

  /**
   * Reads {@code image}, adopted, from {@code memory} (reused from input to input): the same
   * reader and checks as {@link #read(byte[], Path)}, with no file written, opened or mapped
   * ({@link Segment#ofMemory}). The snapshot copies from the memory, as the file's reads it.
   */
  static ReaderStats read(byte[] image, Memory memory) throws IOException {
    ByteBuffer bytes = memory.load(image);
    return read(new Opener() {
      @Override
      public Segment mapped() throws IOException {
        return Segment.ofMemory(bytes, true);
      }

      @Override
      public PostMortem snapshot() throws IOException {
        try (Segment unmapped = Segment.ofMemory(bytes, false)) {
          return PostMortem.read(unmapped, Resource.empty());
        }
      }

      @Override
      public boolean snapshotRefuses() {
        try {
          Segment.ofMemory(bytes, false).close();
          return false;
        } catch (IOException e) {
          return true;
        }
      }
    });
  }

  /** How a check opens the segment under test: mapped (or in memory), and as a snapshot. */
  private interface Opener {
    Segment mapped() throws IOException;

    PostMortem snapshot() throws IOException;

    boolean snapshotRefuses();
  }

  private static ReaderStats read(Opener opener) throws IOException {
    Segment segment;
    try {
      segment = opener.mapped();
    } catch (InvalidSegmentException e) {
      assertThat(opener.snapshotRefuses(), "the snapshot refuses what the reader refuses: " + e);
      return new ReaderStats(true, e.getMessage(), 0, 0, 0, 0);
    }
    try (segment) {
      Counters counters = new Counters();
      SegmentDrainer drainer = new SegmentDrainer(segment, Resource.empty(), counters);
      CollectingSink sink = new CollectingSink();
      drainer.drain(sink);
      assertThat(drainer.drain(sink) == 0, "a second pass finds nothing");
      assertThat(counters.spansDrained() == sink.spans.size(), "every span counted is delivered");
      for (SpanData span : sink.spans) {
        assertThat(span.hasEnded() && span.getEndEpochNanos() != 0, "a ring span has ended");
      }
      long[] corrupt = new long[2];
      List<FrameSpan> open = drainer.openSpans(corrupt);
      PostMortem snapshot = opener.snapshot();
      assertThat(snapshot.openSpans.size() == open.size()
          && snapshot.corruptRecords == corrupt[0] && snapshot.corruptFrames == corrupt[1],
          "the snapshot reads the frames as the mapped reader does");
      return new ReaderStats(false, null, counters.spansDrained(), open.size(),
          counters.corruptRecords() + corrupt[0], counters.unknownRecords());
    }
  }

  /**
   * Memory for segment images, reused from input to input: a direct buffer (8-aligned, as the
   * C target's copy), grown when an input is longer. Not thread-safe: one per fuzz target.
   */
  static final class Memory {
    private final int uid;
    private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

    Memory() throws IOException {
      this.uid = Segment.currentUid();
    }

    /** {@code image}, adopted (as {@link #adopt}), in this memory: exactly its length. */
    ByteBuffer load(byte[] image) {
      if (buffer.capacity() < image.length) {
        buffer = ByteBuffer.allocateDirect(Math.max(image.length, 2 * buffer.capacity()));
      }
      ByteBuffer bytes = buffer.slice(0, image.length).order(ByteOrder.LITTLE_ENDIAN);
      bytes.put(0, image);
      if (image.length >= Abi.HEADER_SIZE) {
        bytes.putInt(Abi.CREATOR_UID_OFFSET, uid).putLong(Abi.SEGMENT_SIZE_OFFSET, image.length);
      }
      return bytes;
    }
  }

  private static boolean snapshotRefuses(Path file) {
    try {
      WeftSegmentSnapshot.read(file);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static void assertThat(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }

  /** In the C CLI's JSON words, for messages. */
  @Override
  public String toString() {
    return rejected ? "{\"rejected\":true}"
        : String.format("{\"rejected\":false,\"spansRead\":%d,\"openSpans\":%d,"
            + "\"corruptRecords\":%d,\"unknownRecords\":%d}", spansRead, openSpans,
            corruptRecords, unknownRecords);
  }
}
