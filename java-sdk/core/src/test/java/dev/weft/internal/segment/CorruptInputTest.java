package dev.weft.internal.segment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.Counters;
import dev.weft.testing.CollectingSink;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every reader check of docs/shm-abi.md, one broken record at a time, then random damage. */
class CorruptInputTest {
  @TempDir Path dir;
  private SegmentWriter writer;
  private Counters counters;
  private SegmentDrainer drainer;
  private CollectingSink sink;

  @BeforeEach
  void setUp() throws Exception {
    writer = SegmentWriter.create(dir.resolve("seg"), new SegmentWriter.Layout().slots(2).ring(8192));
    writer.registerScope("t", "1");
    writer.claimSlot(0, 1, "t");
    counters = new Counters();
    drainer = new SegmentDrainer(Segment.open(writer.path()), Resource.empty(), counters);
    sink = new CollectingSink();
  }

  static Stream<Arguments> brokenRecords() {
    return Stream.of(
        broken("fixed_size below 80", b -> b.putShort(6, (short) 72)),
        broken("fixed_size beyond length", b -> b.putShort(6, (short) 4000)),
        broken("name longer than the record", b -> b.putShort(80, (short) 500)),
        broken("all-zero trace id", b -> b.putLong(8, 0).putLong(16, 0)),
        broken("all-zero span id", b -> b.putLong(24, 0)),
        broken("kind 0", b -> b.put(36, (byte) 0)),
        broken("kind 6", b -> b.put(36, (byte) 6)),
        broken("status 3", b -> b.put(37, (byte) 3)),
        broken("end before start", b -> b.putLong(56, 5).putLong(48, 6)),
        broken("open span in the ring", b -> b.putLong(56, 0)),
        broken("more attributes than attr_count", b -> b.putShort(70, (short) 0)),
        broken("fewer attributes than attr_count", b -> b.putShort(70, (short) 3)),
        broken("more events than event_count", b -> b.putShort(72, (short) 0)),
        broken("fewer events than event_count", b -> b.putShort(72, (short) 2)),
        broken("item length below 4", b -> b.putShort(80 + 2 + 4 + 2, (short) 2)),
        broken("item longer than the record", b -> b.putShort(80 + 2 + 4 + 2, (short) 900)),
        broken("key longer than its item", b -> b.putShort(80 + 2 + 4 + 4, (short) 300)),
        broken("int64 value cut short", b -> b.putShort(80 + 2 + 4 + 2, (short) 8)),
        broken("scope_index at scope_count", b -> b.putShort(68, (short) 1)),
        broken("scope_index past the table", b -> b.putShort(68, (short) 0xffff)));
  }

  private static Arguments broken(String name, Consumer<ByteBuffer> damage) {
    return Arguments.of(name, damage);
  }

  private static byte[] goodRecord() {
    // name "span" (4 bytes): items start at 80 + 2 + 4 = 86; first item is int64 "n".
    return SpanRecordBuilder.span().attr("n", 7L).event("e", 1_700_000_000_000_000_100L, 0)
        .build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenRecords")
  void aBrokenRecordIsCountedAndTheNextOneIsRead(String name, Consumer<ByteBuffer> damage) {
    byte[] record = goodRecord();
    damage.accept(ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN));
    writer.append(0, record);
    writer.append(0, goodRecord());
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).as(name).isEqualTo(1);
    assertThat(sink.spans).as(name).hasSize(1);
  }

  /** A bool attribute is one byte, 0 or 1; an int64 or double is exactly 8 bytes. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void attributeValuesOfTheWrongShapeAreCorrupt(String name, byte[] item) {
    writer.append(0, SpanRecordBuilder.span().rawItem(item).attrCount(1).build());
    writer.append(0, goodRecord());
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).as(name).isEqualTo(1);
    assertThat(sink.spans).as(name).hasSize(1);
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("bool 2", SpanRecordBuilder.attribute(2, "b", new byte[] {2})),
        Arguments.of("bool 0xff", SpanRecordBuilder.attribute(2, "b", new byte[] {-1})),
        Arguments.of("bool of two bytes", SpanRecordBuilder.attribute(2, "b", new byte[] {1, 0})),
        Arguments.of("bool of no byte", SpanRecordBuilder.attribute(2, "b", new byte[0])),
        Arguments.of("int64 of 9 bytes", SpanRecordBuilder.attribute(3, "i", new byte[9])),
        Arguments.of("double of 9 bytes", SpanRecordBuilder.attribute(4, "d", new byte[9])),
        Arguments.of("double of 4 bytes", SpanRecordBuilder.attribute(4, "d", new byte[4])));
  }

  @Test
  void boolZeroAndOneAreValid() {
    writer.append(0, SpanRecordBuilder.span()
        .rawItem(SpanRecordBuilder.attribute(2, "t", new byte[] {1}))
        .rawItem(SpanRecordBuilder.attribute(2, "f", new byte[] {0})).attrCount(2).build());
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isZero();
    assertThat(sink.spans).singleElement().satisfies(span -> {
      assertThat(span.getAttributes().get(
          io.opentelemetry.api.common.AttributeKey.booleanKey("t"))).isTrue();
      assertThat(span.getAttributes().get(
          io.opentelemetry.api.common.AttributeKey.booleanKey("f"))).isFalse();
    });
  }

  @Test
  void eventAttributeMissingIsCorrupt() {
    writer.append(0, SpanRecordBuilder.span().event("e", 1, 0,
        SpanRecordBuilder.attribute(3, "a", SpanRecordBuilder.le(1))).attrCount(0).build());
    // Declare two attributes for the event but provide one.
    byte[] record = SpanRecordBuilder.span().event("e", 1, 0,
        SpanRecordBuilder.attribute(3, "a", SpanRecordBuilder.le(1))).build();
    ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN).putShort(80 + 2 + 4 + 6, (short) 2);
    writer.append(0, record);
    drainer.drain(sink);
    assertThat(sink.spans).hasSize(1);
    assertThat(counters.corruptRecords()).isEqualTo(1);
  }

  @Test
  void recordLongerThanAFrameIsCorrupt() {
    byte[] record = SpanRecordBuilder.span().attr("v", "x".repeat(600)).build();
    assertThat(record.length).isGreaterThan(512);
    writer.append(0, record);
    writer.append(0, goodRecord());
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(sink.spans).hasSize(1);
  }

  @Test
  void lostFramingResynchronisesAtTail() {
    writer.append(0, goodRecord());
    byte[] junk = new byte[16];
    ByteBuffer.wrap(junk).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 3); // length < 8
    writer.appendRaw(0, junk);
    writer.append(0, goodRecord());
    drainer.drain(sink);
    assertThat(sink.spans).hasSize(1);
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(writer.head(0)).isEqualTo(writer.tail(0));
    writer.append(0, goodRecord());
    drainer.drain(sink);
    assertThat(sink.spans).hasSize(2);
  }

  @Test
  void recordRunningPastTheRingEndIsCorrupt() {
    byte[] junk = new byte[16];
    ByteBuffer.wrap(junk).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1 << 20).putShort(4, (short) 1);
    writer.appendRaw(0, junk);
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(writer.head(0)).isEqualTo(writer.tail(0));
  }

  @Test
  void tailTooFarAheadIsResynchronised() {
    writer.setTail(0, 1L << 40);
    assertThat(drainer.drain(sink)).isPositive();
    assertThat(counters.corruptRecords()).isEqualTo(1);
    assertThat(writer.head(0)).isEqualTo(1L << 40);
    writer.setTail(0, 3); // behind head: also inconsistent
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(2);
  }

  @Test
  void misalignedHeadIsResynchronised() {
    writer.setTail(0, 21);
    drainer.drain(sink);
    writer.setTail(0, 45);
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isEqualTo(2);
    assertThat(sink.spans).isEmpty();
  }

  /**
   * Random damage: valid records with random bytes overwritten, random tails, random garbage.
   * Nothing may escape, every pass must end, and the counters must only grow.
   */
  @Test
  void randomlyDamagedRingsNeverStopTheReader() {
    Random random = new Random(42);
    byte[][] samples = {
        goodRecord(),
        SpanRecordBuilder.span().attr("s", "value").attr("b", true).attr("d", 1.5)
            .statusMessage("m").build(),
        SpanRecordBuilder.span().event("x", 5, 1, SpanRecordBuilder.attribute(1, "k",
            new byte[] {'v'})).build()
    };
    long decoded = 0;
    for (int iteration = 0; iteration < 3000; iteration++) {
      int slot = random.nextInt(2);
      int action = random.nextInt(10);
      if (action < 6) {
        byte[] record = samples[random.nextInt(samples.length)].clone();
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
          record[random.nextInt(record.length)] = (byte) random.nextInt(256);
        }
        writer.append(slot, record);
      } else if (action < 8) {
        byte[] garbage = new byte[8 + random.nextInt(200)];
        random.nextBytes(garbage);
        writer.appendRaw(slot, garbage);
      } else if (action < 9) {
        writer.setTail(slot, writer.tail(slot) + random.nextInt(4) * 8L);
      } else {
        writer.append(slot, samples[random.nextInt(samples.length)]);
      }
      int work = drainer.drain(sink);
      // A pass reads at most capacity / 8 records per slot, plus one resynchronisation each.
      assertThat(work).isLessThanOrEqualTo(2 * (8192 / 8 + 1));
      assertThat(writer.head(slot)).isEqualTo(writer.tail(slot));
      decoded = sink.spans.size();
    }
    assertThat(decoded).isPositive();
    assertThat(counters.corruptRecords()).isPositive();
    assertThat(counters.spansDrained()).isEqualTo(decoded);
  }

  /** Random bytes over the whole slot area, frames and header counters included. */
  @Test
  void randomSlotBytesNeverStopTheReader() {
    Random random = new Random(7);
    var buffer = writer.buffer();
    for (int iteration = 0; iteration < 300; iteration++) {
      for (int i = 0; i < 64; i++) {
        int offset = 4096 + random.nextInt(buffer.capacity() - 4096);
        buffer.put(offset, (byte) random.nextInt(256));
      }
      // Keep head/tail plausible half of the time so records get parsed.
      if (random.nextBoolean()) {
        writer.setTail(0, writer.head(0) + 8L * random.nextInt(1024));
      }
      drainer.drain(sink);
      drainer.openSpans(new long[2]);
    }
    assertThat(counters.spansDrained()).isEqualTo(sink.spans.size());
  }
}
