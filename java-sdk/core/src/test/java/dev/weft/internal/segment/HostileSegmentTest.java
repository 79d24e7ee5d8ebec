package dev.weft.internal.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.internal.Counters;
import dev.weft.testing.CollectingSink;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules of docs/shm-abi.md's validation table that the Java reader did not enforce as the C
 * reader does: each test is one rule, on a segment that breaks only that rule.
 */
class HostileSegmentTest {
  @TempDir Path dir;

  private SegmentWriter writer;
  private SegmentDrainer drainer;
  private final Counters counters = new Counters();
  private final CollectingSink sink = new CollectingSink();

  private void attach() throws Exception {
    writer = SegmentWriter.create(dir.resolve("seg"));
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 1, "t");
    drainer = new SegmentDrainer(Segment.open(writer.path()), Resource.empty(), counters);
  }

  @Test
  void frameSizeBelowTheSpecMinimumIsRefused() throws Exception {
    // 256 is a multiple of 8 and the ring holds two frames: only the minimum of 512 refuses it.
    SegmentWriter small =
        SegmentWriter.create(dir.resolve("small"), new SegmentWriter.Layout().frames(4, 256));
    assertThatThrownBy(() -> Segment.open(small.path()))
        .isInstanceOf(InvalidSegmentException.class).hasMessageContaining("frame_size 256");
    SegmentWriter spec =
        SegmentWriter.create(dir.resolve("spec"), new SegmentWriter.Layout().frames(4, 512));
    try (Segment segment = Segment.open(spec.path())) {
      assertThat(segment.frameSize()).isEqualTo(Abi.MIN_FRAME_SIZE).isEqualTo(512);
    }
  }

  @Test
  void slotCountAboveTheWritersMaximumIsRefused() throws Exception {
    SegmentWriter seg = SegmentWriter.create(dir.resolve("many"));
    seg.buffer().putInt(Abi.SLOT_COUNT_OFFSET, Abi.MAX_SLOT_COUNT + 1);
    assertThatThrownBy(() -> Segment.open(seg.path()))
        .isInstanceOf(InvalidSegmentException.class).hasMessageContaining("slot_count 65537");
  }

  @Test
  void eventItemLongerThanItsNameIsCorrupt() throws Exception {
    attach();
    byte[] good = SpanRecordBuilder.span().event("retry", 5, 0).build();
    // The same event item, 3 bytes longer than 24 + name_length: C counts it corrupt.
    ByteBuffer event = ByteBuffer.allocate(24 + 5 + 3).order(ByteOrder.LITTLE_ENDIAN);
    event.put(0, (byte) Abi.ITEM_EVENT).putShort(2, (short) 32).putShort(4, (short) 5)
        .putLong(16, 5L).put(24, "retry".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    byte[] longer = SpanRecordBuilder.span().spanId(2).rawItem(event.array()).eventCount(1)
        .build();
    writer.append(0, longer);
    writer.append(0, good);
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(sink.spans).hasSize(1);
    assertThat(sink.spans.get(0).getEvents()).extracting(e -> e.getName())
        .containsExactly("retry");
  }

  @Test
  void paddingShorterThanTheRingEndIsCorrupt() throws Exception {
    attach();
    // A padding record of 16 bytes at index 0: a writer pads only to the end of the ring.
    byte[] padding = new byte[16];
    ByteBuffer.wrap(padding).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 16)
        .putShort(4, (short) Abi.RECORD_PADDING).putShort(6, (short) 8);
    writer.appendRaw(0, padding);
    writer.append(0, SpanRecordBuilder.span().build());
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(sink.spans).hasSize(1); // the framing held: the next record is read
  }

  @Test
  void misalignedTailIsResynchronised() throws Exception {
    attach();
    writer.append(0, SpanRecordBuilder.span().build());
    writer.setTail(0, writer.tail(0) + 4);
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(sink.spans).isEmpty();
    assertThat(writer.head(0)).isEqualTo(writer.tail(0));
  }

  @Test
  void positionsWrappingPast2To64AreResynchronised() throws Exception {
    // head just below 2^64 and tail just past it: 16 bytes apart, but no writer wraps a u64.
    writer = SegmentWriter.create(dir.resolve("seg"));
    writer.registerScope("lib", "1.0");
    writer.claimSlot(0, 1, "t");
    writer.setHead(0, -8L);
    writer.setTail(0, 8L);
    drainer = new SegmentDrainer(Segment.open(writer.path()), Resource.empty(), counters);
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(writer.head(0)).isEqualTo(8L);
  }
}
