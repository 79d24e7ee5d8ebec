package dev.weft.internal.decode;

import dev.weft.internal.Counters;
import dev.weft.internal.segment.Segment;
import dev.weft.internal.segment.SegmentDrainer;
import dev.weft.internal.segment.SegmentWriter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A segment whose one ring holds {@value #RECORDS} loadgen-shaped span records and a padding
 * record up to the ring's end, so that moving the tail on by one ring capacity hands the reader
 * the same {@value #RECORDS} records again (see {@link DecodeBenchmark#loadgenRecord}).
 */
public final class LoadgenRing implements AutoCloseable {
  public static final int RECORDS = 4096;

  final Path dir;
  final SegmentWriter writer;
  final long filledBytes;

  public LoadgenRing() throws IOException {
    dir = Files.createTempDirectory("weft-bench");
    writer = SegmentWriter.create(dir.resolve("seg"),
        new SegmentWriter.Layout().slots(1).ring(1 << 20).frames(4, 2048));
    writer.registerScope("weft-bench", "1.0");
    writer.claimSlot(0, 1234, "bench");
    int written = 0;
    while (written < RECORDS && writer.append(0, DecodeBenchmark.loadgenRecord(written))) {
      written++;
    }
    if (written < RECORDS) {
      throw new IllegalStateException("ring too small for " + RECORDS + " records");
    }
    long tail = writer.tail(0);
    int ring = writer.ringBase(0);
    int pad = (int) (writer.ringCapacity() - tail);
    ByteBuffer buffer = writer.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    buffer.putInt(ring + (int) tail, pad).putShort(ring + (int) tail + 4, (short) 2)
        .putShort(ring + (int) tail + 6, (short) 8);
    filledBytes = writer.ringCapacity();
    writer.setTail(0, 0);
  }

  /** A drainer over this ring, starting where the tail is now. */
  public SegmentDrainer drainer(Resource resource, Counters counters) throws IOException {
    return new SegmentDrainer(Segment.open(writer.path()), resource, counters);
  }

  /** Publishes the {@value #RECORDS} records once more (after the previous pass was read). */
  public void refill() {
    writer.setTail(0, writer.tail(0) + filledBytes);
  }

  /** The {@value #RECORDS} records decoded once, for exporter-only benchmarks. */
  public List<SpanData> decodeAll(Resource resource) throws IOException {
    List<SpanData> spans = new ArrayList<>(RECORDS);
    SegmentDrainer drainer = drainer(resource, new Counters());
    refill();
    drainer.drain(new SpanSink() {
      @Override
      public boolean canAccept() {
        return true;
      }

      @Override
      public void accept(SpanData span) {
        spans.add(span);
      }
    });
    return spans;
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(writer.path());
    Files.deleteIfExists(dir);
  }
}
