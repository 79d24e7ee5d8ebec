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
    Segment segment;
    try {
      segment = Segment.open(file);
    } catch (InvalidSegmentException e) {
      assertThat(snapshotRefuses(file), "the snapshot refuses what the reader refuses: " + e);
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
      PostMortem snapshot = PostMortem.read(file, Resource.empty());
      assertThat(snapshot.openSpans.size() == open.size()
          && snapshot.corruptRecords == corrupt[0] && snapshot.corruptFrames == corrupt[1],
          "the snapshot reads the frames as the mapped reader does");
      return new ReaderStats(false, null, counters.spansDrained(), open.size(),
          counters.corruptRecords() + corrupt[0], counters.unknownRecords());
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
