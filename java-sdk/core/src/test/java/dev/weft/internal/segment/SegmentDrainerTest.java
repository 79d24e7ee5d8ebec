package dev.weft.internal.segment;

import static dev.weft.internal.decode.SpanRecordBuilder.attribute;
import static dev.weft.internal.decode.SpanRecordBuilder.le;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.BackoffIdleStrategy;
import dev.weft.internal.Counters;
import dev.weft.internal.decode.Acknowledgeable;
import dev.weft.internal.decode.SpanDecoder;
import dev.weft.testing.CollectingSink;
import dev.weft.internal.segment.SegmentWriter;
import dev.weft.internal.decode.SpanRecordBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentDrainerTest {
  private static final Resource RESOURCE =
      Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "test"));

  @TempDir Path dir;
  private SegmentWriter writer;
  private Counters counters;
  private SegmentDrainer drainer;
  private CollectingSink sink;

  @BeforeEach
  void setUp() throws Exception {
    writer = SegmentWriter.create(dir.resolve("seg"));
    writer.registerScope("weft-test", "1.0.0");
    writer.claimSlot(0, 1001, "worker-0");
    counters = new Counters();
    drainer = new SegmentDrainer(Segment.open(writer.path()), RESOURCE, counters);
    sink = new CollectingSink();
  }

  private SpanData only() {
    drainer.drain(sink);
    assertThat(counters.corruptRecords()).isZero();
    assertThat(sink.spans).hasSize(1);
    return sink.spans.get(0);
  }

  @Test
  void decodesEveryFieldOfASpan() {
    writer.append(0, SpanRecordBuilder.span()
        .name("decode").kind(3).statusCode(2).statusMessage("failed")
        .parentSpanId(0x2122232425262728L)
        .attr("codec", "h264").attr("frames", 42L).attr("ratio", 0.5).attr("keyframe", true)
        .event("retry", 1_700_000_000_000_000_500L, 2,
            attribute(3, "attempt", le(2)), attribute(1, "why", "busy".getBytes(StandardCharsets.UTF_8)))
        .event("done", 1_700_000_000_000_000_900L, 0)
        .droppedAttributes(3).droppedEvents(1).truncatedCount(2)
        .build());
    SpanData span = only();
    assertThat(span.getName()).isEqualTo("decode");
    assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(span.getTraceId()).isEqualTo("0102030405060708090a0b0c0d0e0f10");
    assertThat(span.getSpanId()).isEqualTo("1112131415161718");
    assertThat(span.getSpanContext().isSampled()).isTrue();
    assertThat(span.getParentSpanId()).isEqualTo("2122232425262728");
    assertThat(span.getParentSpanContext().isRemote()).isFalse();
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(span.getStatus().getDescription()).isEqualTo("failed");
    assertThat(span.getStartEpochNanos()).isEqualTo(1_700_000_000_000_000_000L);
    assertThat(span.getEndEpochNanos()).isEqualTo(1_700_000_000_000_001_000L);
    assertThat(span.hasEnded()).isTrue();
    assertThat(span.getAttributes().asMap()).containsOnly(
        entry(AttributeKey.stringKey("codec"), "h264"),
        entry(AttributeKey.longKey("frames"), 42L),
        entry(AttributeKey.doubleKey("ratio"), 0.5),
        entry(AttributeKey.booleanKey("keyframe"), true),
        entry(SpanDecoder.THREAD_ID, 1001L),
        entry(SpanDecoder.THREAD_NAME, "worker-0"),
        entry(SpanDecoder.TRUNCATED_COUNT, 2L));
    assertThat(span.getTotalAttributeCount()).isEqualTo(7 + 3);
    assertThat(span.getEvents()).hasSize(2);
    EventData retry = span.getEvents().get(0);
    assertThat(retry.getName()).isEqualTo("retry");
    assertThat(retry.getEpochNanos()).isEqualTo(1_700_000_000_000_000_500L);
    assertThat(retry.getAttributes().asMap()).containsOnly(
        entry(AttributeKey.longKey("attempt"), 2L), entry(AttributeKey.stringKey("why"), "busy"));
    assertThat(retry.getTotalAttributeCount()).isEqualTo(4);
    assertThat(span.getEvents().get(1).getAttributes().isEmpty()).isTrue();
    assertThat(span.getTotalRecordedEvents()).isEqualTo(3);
    assertThat(span.getLinks()).isEmpty();
    assertThat(span.getInstrumentationScopeInfo())
        .isEqualTo(InstrumentationScopeInfo.builder("weft-test").setVersion("1.0.0").build());
    assertThat(span.getResource()).isEqualTo(RESOURCE);
    assertThat(counters.spansDrained()).isEqualTo(1);
  }

  private static <K, V> java.util.Map.Entry<K, V> entry(K k, V v) {
    return java.util.Map.entry(k, v);
  }

  @Test
  void mapsKindsStatusesAndFlags() {
    for (int kind = 1; kind <= 5; kind++) {
      writer.append(0, SpanRecordBuilder.span().kind(kind).statusCode(kind % 3).build());
    }
    writer.append(0, SpanRecordBuilder.span().parentSpanId(5).flags(1 | 8).build());
    writer.append(0, SpanRecordBuilder.span().flags(16).build());
    drainer.drain(sink);
    assertThat(sink.spans).extracting(SpanData::getKind).startsWith(SpanKind.INTERNAL,
        SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER);
    assertThat(sink.spans.subList(0, 5)).extracting(s -> s.getStatus().getStatusCode())
        .containsExactly(StatusCode.OK, StatusCode.ERROR, StatusCode.UNSET, StatusCode.OK,
            StatusCode.ERROR);
    SpanData remote = sink.spans.get(5);
    assertThat(remote.getParentSpanContext().isRemote()).isTrue();
    assertThat(remote.getParentSpanContext().getSpanId()).isEqualTo("0000000000000005");
    assertThat(remote.getAttributes().get(SpanDecoder.ENDED_BY)).isEqualTo("thread_exit");
    SpanData unwound = sink.spans.get(6);
    assertThat(unwound.getParentSpanContext().isValid()).isFalse();
    assertThat(unwound.getAttributes().get(SpanDecoder.ENDED_BY)).isEqualTo("unwind");
    assertThat(unwound.getAttributes().get(SpanDecoder.TRUNCATED_COUNT)).isNull();
  }

  /**
   * The decoder learns each span name's attribute layout and takes a faster path while records
   * match it: whatever the sequence of layouts under one name (same, different in the middle,
   * longer, with duplicate, empty or reserved keys, with flags that add attributes), every span's
   * attributes are what the general rules give (last one wins by name, empty keys ignored, the
   * thread's pairs win over the record's own), computed here by a model of those rules.
   */
  @Test
  void learnedShapesNeverChangeWhatIsDecoded() {
    Object[][] layouts = {
      {"a", 1L, "b", "x", "c", 0.5, "d", true},
      {"a", 2L, "b", "y", "c", 1.5, "d", false},
      {"a", 3L, "z", "y", "c", 1.5, "d", false}, // a different key in the middle
      {"a", 4L, "b", 7L, "c", 1.5, "d", false}, // same key, another type
      {"a", 5L, "b", "y", "c", 2.5},
      {"a", 6L, "b", "y", "c", 2.5, "d", true, "e", "more"},
      {"a", 7L, "b", "y", "a", 8L, "d", true}, // a duplicate key
      {"a", 9L, "", "empty", "c", 3.5, "d", true}, // an empty key
      {"a", 10L, "thread.id", 5L, "c", 4.5, "thread.name", "mine"}, // reserved keys
      {},
    };
    int[] flags = {0, Abi.SPAN_FLAG_ENDED_BY_UNWIND};
    int[] truncated = {0, 2};
    int expected = 0;
    long id = 1;
    for (int round = 0; round < 3; round++) {
      for (Object[] layout : layouts) {
        for (int f = 0; f < flags.length; f++) {
          for (int repeat = 0; repeat < 3; repeat++) { // a shape is learned at the second
            SpanRecordBuilder b = SpanRecordBuilder.span().name("same").spanId(id++)
                .flags(flags[f]).truncatedCount(truncated[f]);
            Map<String, Map.Entry<AttributeKey<?>, Object>> model = new LinkedHashMap<>();
            for (int i = 0; i < layout.length; i += 2) {
              String key = (String) layout[i];
              Object value = layout[i + 1];
              AttributeKey<?> attributeKey;
              if (value instanceof Long) {
                b.attr(key, (long) value);
                attributeKey = AttributeKey.longKey(key);
              } else if (value instanceof String) {
                b.attr(key, (String) value);
                attributeKey = AttributeKey.stringKey(key);
              } else if (value instanceof Double) {
                b.attr(key, (double) value);
                attributeKey = AttributeKey.doubleKey(key);
              } else {
                b.attr(key, (boolean) value);
                attributeKey = AttributeKey.booleanKey(key);
              }
              if (!key.isEmpty()) {
                model.remove(key);
                model.put(key, Map.entry(attributeKey, value));
              }
            }
            model.remove("thread.id");
            model.put("thread.id", Map.entry(SpanDecoder.THREAD_ID, 1001L));
            model.remove("thread.name");
            model.put("thread.name", Map.entry(SpanDecoder.THREAD_NAME, "worker-0"));
            if (flags[f] != 0) {
              model.put(SpanDecoder.ENDED_BY.getKey(), Map.entry(SpanDecoder.ENDED_BY, "unwind"));
            }
            if (truncated[f] != 0) {
              model.put(SpanDecoder.TRUNCATED_COUNT.getKey(),
                  Map.entry(SpanDecoder.TRUNCATED_COUNT, (long) truncated[f]));
            }
            assertThat(writer.append(0, b.build())).isTrue();
            drainer.drain(sink);
            expected++;
            assertThat(counters.corruptRecords()).isZero();
            assertThat(sink.spans).hasSize(expected);
            Map<AttributeKey<?>, Object> want = new HashMap<>();
            model.values().forEach(e -> want.put(e.getKey(), e.getValue()));
            SpanData span = sink.spans.get(expected - 1);
            assertThat(span.getAttributes().asMap()).as("layout %s", Arrays.toString(layout))
                .isEqualTo(want);
            assertThat(span.getAttributes().size()).isEqualTo(want.size());
            assertThat(span.getTotalAttributeCount()).isEqualTo(want.size());
            want.forEach((k, v) -> assertThat(span.getAttributes().get(k)).isEqualTo(v));
          }
        }
      }
    }
  }

  @Test
  void lastAttributeWithTheSameKeyWins() {
    writer.append(0, SpanRecordBuilder.span().attr("k", 1L).attr("k", 2L).build());
    SpanData span = only();
    assertThat(span.getAttributes().get(AttributeKey.longKey("k"))).isEqualTo(2L);
  }

  @Test
  void lastStatusMessageWins() {
    writer.append(0, SpanRecordBuilder.span().statusCode(2).statusMessage("a").statusMessage("b")
        .build());
    assertThat(only().getStatus().getDescription()).isEqualTo("b");
  }

  @Test
  void unknownItemTagsAreSkipped() {
    writer.append(0, SpanRecordBuilder.span().rawItem(new byte[] {99, 0, 8, 0, 1, 2, 3, 4})
        .attr("a", "b").build());
    assertThat(only().getAttributes().get(AttributeKey.stringKey("a"))).isEqualTo("b");
  }

  @Test
  void readsAFixedPartLongerThanItKnows() {
    byte[] base = SpanRecordBuilder.span().name("future").attr("x", 1L).build();
    // Insert 8 unknown bytes after the 80-byte fixed part and raise fixed_size to 88.
    byte[] record = new byte[base.length + 8];
    System.arraycopy(base, 0, record, 0, 80);
    System.arraycopy(base, 80, record, 88, base.length - 80);
    java.nio.ByteBuffer.wrap(record).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putInt(0, record.length).putShort(6, (short) 88);
    writer.append(0, record);
    SpanData span = only();
    assertThat(span.getName()).isEqualTo("future");
    assertThat(span.getAttributes().get(AttributeKey.longKey("x"))).isEqualTo(1L);
  }

  @Test
  void unregisteredScopeIndexIsCorrupt() {
    writer.append(0, SpanRecordBuilder.span().scopeIndex(7).build());
    writer.append(0, SpanRecordBuilder.span().scopeIndex(1).build());
    writer.append(0, SpanRecordBuilder.span().name("ok").build());
    drainer.drain(sink);
    assertThat(sink.spans).extracting(SpanData::getName).containsExactly("ok");
    assertThat(counters.corruptRecords()).isEqualTo(2);
  }

  /**
   * A scope registered after the pass read scope_count, by a thread whose span is then found in
   * the same pass: the span's tail was released after the scope, so the reader re-reads
   * scope_count before it calls the index corrupt.
   */
  @Test
  void scopeRegisteredDuringAPassIsFound() {
    writer.claimSlot(1, 43, "late");
    writer.append(0, SpanRecordBuilder.span().name("first").build());
    CollectingSink registering = new CollectingSink() {
      @Override
      public void accept(SpanData span) {
        super.accept(span);
        if (spans.size() == 1) {
          int index = writer.registerScope("late-lib", "2.0");
          writer.append(1, SpanRecordBuilder.span().name("second").scopeIndex(index).build());
        }
      }
    };
    drainer.drain(registering);
    assertThat(registering.spans).extracting(SpanData::getName).containsExactly("first", "second");
    assertThat(registering.spans.get(1).getInstrumentationScopeInfo().getName())
        .isEqualTo("late-lib");
    assertThat(counters.corruptRecords()).isZero();
  }

  @Test
  void wrapsWithPaddingAndDrainsInOrder() {
    int written = 0;
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 7; i++) {
        assertThat(writer.append(0, SpanRecordBuilder.span().attr("seq", (long) written)
            .name("n" + "x".repeat(round * 7 % 50)).build())).isTrue();
        written++;
      }
      drainer.drain(sink);
    }
    assertThat(writer.tail(0)).isGreaterThan(writer.ringCapacity() * 3L);
    assertThat(sink.spans).hasSize(written);
    for (int i = 0; i < written; i++) {
      assertThat(sink.spans.get(i).getAttributes().get(AttributeKey.longKey("seq")))
          .isEqualTo((long) i);
    }
    assertThat(counters.corruptRecords()).isZero();
    assertThat(counters.unknownRecords()).isZero();
    assertThat(writer.head(0)).isEqualTo(writer.tail(0));
  }

  @Test
  void fullRingDropsAreCountedByTheProducer() throws Exception {
    byte[] record = SpanRecordBuilder.span().build();
    int accepted = 0;
    for (int i = 0; i < 100; i++) {
      if (writer.append(0, record)) {
        accepted++;
      }
    }
    drainer.drain(sink);
    assertThat(sink.spans).hasSize(accepted);
    NativeCounts counts = NativeCounts.read(drainer.segment());
    assertThat(counts.spansCommitted).isEqualTo(accepted);
    assertThat(counts.droppedRingFull).isEqualTo(100 - accepted);
  }

  @Test
  void maxFillIsTheFullestRingsShareOfItsCapacity() throws Exception {
    SegmentWriter two = SegmentWriter.create(dir.resolve("two"),
        new SegmentWriter.Layout().slots(2).ring(1 << 16));
    two.registerScope("weft-test", "1.0.0");
    two.claimSlot(0, 1, "a");
    two.claimSlot(1, 2, "b");
    SegmentDrainer d = new SegmentDrainer(Segment.open(two.path()), RESOURCE, new Counters());
    assertThat(d.maxFill()).isZero();
    byte[] record = SpanRecordBuilder.span().build();
    assertThat(two.append(1, record)).isTrue();
    assertThat(two.append(1, record)).isTrue();
    assertThat(two.append(0, record)).isTrue();
    assertThat(d.maxFill()).isEqualTo((double) two.tail(1) / two.ringCapacity());
    while (two.append(0, record)) {
      // until full
    }
    assertThat(d.maxFill()).isGreaterThan(1 - (double) record.length / two.ringCapacity());
    d.drain(sink);
    assertThat(d.maxFill()).isZero(); // everything was read (and here acknowledged)
    // Positions no writer produces (a tail behind what was read) read as full: the collector
    // then hurries.
    two.setTail(0, two.tail(0) - 8);
    assertThat(d.maxFill()).isEqualTo(1.0);
    // Before the first pass the fill counts from the head: head past tail is full too.
    SegmentDrainer fresh = new SegmentDrainer(Segment.open(two.path()), RESOURCE, new Counters());
    two.setHead(1, two.tail(1) + 8);
    assertThat(fresh.maxFill()).isEqualTo(1.0);
  }

  @Test
  void aReleasedSlotWithUnreadRecordsCountsAsFullUntilRead() throws Exception {
    SegmentWriter two = SegmentWriter.create(dir.resolve("released"),
        new SegmentWriter.Layout().slots(2).ring(1 << 16));
    two.registerScope("weft-test", "1.0.0");
    two.claimSlot(0, 1, "short-lived");
    two.claimSlot(1, 2, "long-lived");
    SegmentDrainer d = new SegmentDrainer(Segment.open(two.path()), RESOURCE, new Counters());
    byte[] record = SpanRecordBuilder.span().build();
    assertThat(two.append(0, record)).isTrue();
    assertThat(two.append(1, record)).isTrue();
    // one record each: far below the fill the idle strategy waits for
    assertThat(d.maxFill()).isLessThan(BackoffIdleStrategy.TARGET_FILL);
    two.releaseSlot(0); // its thread exited: no thread can claim it before it is read
    assertThat(d.maxFill()).isEqualTo(1.0);
    d.drain(sink);
    assertThat(sink.spans).hasSize(2);
    assertThat(d.maxFill()).isZero();
    // a released slot with nothing unread is claimable already: no hurry
    assertThat(two.append(1, record)).isTrue();
    assertThat(d.maxFill()).isLessThan(BackoffIdleStrategy.TARGET_FILL).isPositive();
  }

  @Test
  void recordsReadButNotAcknowledgedDoNotCountAsFill() throws Exception {
    SegmentWriter one = SegmentWriter.create(dir.resolve("unacked"),
        new SegmentWriter.Layout().slots(1).ring(1 << 16));
    one.registerScope("weft-test", "1.0.0");
    one.claimSlot(0, 1, "a");
    SegmentDrainer d = new SegmentDrainer(Segment.open(one.path()), RESOURCE, new Counters());
    byte[] record = SpanRecordBuilder.span().build();
    for (int i = 0; i < 40; i++) {
      assertThat(one.append(0, record)).isTrue();
    }
    // A sink waiting for its export's acknowledgement: the head stays where it was.
    CollectingSink waiting = new CollectingSink() {
      @Override
      public void readUpTo(Acknowledgeable target, int slot,
          long position) {
        // acknowledged later, by the export
      }
    };
    assertThat(d.maxFill()).isEqualTo((double) one.tail(0) / one.ringCapacity());
    d.drain(waiting);
    assertThat(waiting.spans).hasSize(40);
    assertThat(one.head(0)).isZero();
    // Nothing is left to read: an idle strategy pacing on this fill parks instead of spinning
    // while the export is in flight (the space comes back with its acknowledgement).
    assertThat(d.maxFill()).isZero();
    assertThat(SegmentDrainer.unacknowledgedBytes(d.segment())).isEqualTo(one.tail(0));
    long readUpTo = one.tail(0);
    assertThat(one.append(0, record)).isTrue();
    assertThat(d.maxFill()).isEqualTo((double) (one.tail(0) - readUpTo) / one.ringCapacity());
  }

  @Test
  void backPressureLeavesRecordsInTheRing() {
    for (int i = 0; i < 5; i++) {
      writer.append(0, SpanRecordBuilder.span().build());
    }
    sink.capacity = 2;
    drainer.drain(sink);
    assertThat(sink.spans).hasSize(2);
    assertThat(writer.head(0)).isLessThan(writer.tail(0));
    sink.capacity = 10;
    drainer.drain(sink);
    assertThat(sink.spans).hasSize(5);
    assertThat(writer.head(0)).isEqualTo(writer.tail(0));
  }

  @Test
  void unknownRecordTypesAreSkippedAndCounted() {
    byte[] unknown = new byte[24];
    java.nio.ByteBuffer.wrap(unknown).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putInt(0, 20).putShort(4, (short) 9).putShort(6, (short) 8);
    writer.append(0, unknown);
    writer.append(0, SpanRecordBuilder.span().asContext().build());
    writer.append(0, SpanRecordBuilder.span().build());
    drainer.drain(sink);
    assertThat(sink.spans).hasSize(1);
    assertThat(counters.unknownRecords()).isEqualTo(2);
    assertThat(counters.corruptRecords()).isZero();
  }

  @Test
  void threadNameFollowsTheSlotOwner() {
    writer.append(0, SpanRecordBuilder.span().tid(1001).build());
    drainer.drain(sink);
    writer.releaseSlot(0);
    writer.claimSlot(0, 2002, "second");
    writer.append(0, SpanRecordBuilder.span().tid(2002).build());
    writer.claimSlot(1, 3003, "other");
    writer.append(1, SpanRecordBuilder.span().tid(3003).build());
    drainer.drain(sink);
    assertThat(sink.spans).extracting(s -> s.getAttributes().get(SpanDecoder.THREAD_NAME))
        .containsExactly("worker-0", "second", "other");
    assertThat(sink.spans).extracting(s -> s.getAttributes().get(SpanDecoder.THREAD_ID))
        .containsExactly(1001L, 2002L, 3003L);
  }

  @Test
  void readsOpenSpansFromFrames() {
    writer.writeFrame(0, 0, SpanRecordBuilder.span().name("outer").end(0).build());
    writer.writeFrame(0, 1, SpanRecordBuilder.span().asContext().build());
    writer.writeFrame(0, 2, SpanRecordBuilder.span().name("inner").spanId(99).end(0)
        .attr("a", 1L).build());
    writer.writeFrame(0, 3, SpanRecordBuilder.span().name("stale").build());
    writer.setDepth(0, 3);
    long[] corrupt = new long[2];
    var open = drainer.openSpans(corrupt);
    assertThat(open).extracting(f -> f.span.getName()).containsExactly("outer", "inner");
    assertThat(open).extracting(f -> f.depthIndex).containsExactly(0, 2);
    assertThat(open.get(0).span.hasEnded()).isFalse();
    assertThat(open.get(0).span.getEndEpochNanos()).isZero();
    assertThat(corrupt[0]).isZero();
    assertThat(corrupt[1]).isZero();
  }

  @Test
  void hostileDepthIsClampedAndCountedOnce() {
    writer.setDepth(0, -1);
    long[] corrupt = new long[2];
    // stack_depth frames, all zero: not span frames, so nothing else is counted (as in C).
    assertThat(drainer.openSpans(corrupt)).isEmpty();
    assertThat(corrupt).containsExactly(1, 1);
  }

  @Test
  void unsampledFramesAreNotCorrupt() {
    // What weft_span_begin leaves in a frame for an unsampled span: the fixed part, no name.
    byte[] unsampled = SpanRecordBuilder.span().traceFlags(0).end(0).build();
    java.nio.ByteBuffer.wrap(unsampled).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, 80);
    writer.writeFrame(0, 0, unsampled);
    writer.writeFrame(0, 1, SpanRecordBuilder.span().name("sampled").end(0).build());
    writer.setDepth(0, 2);
    long[] corrupt = new long[2];
    assertThat(drainer.openSpans(corrupt)).extracting(f -> f.span.getName())
        .containsExactly("sampled");
    assertThat(corrupt).containsExactly(0, 0);
  }

  @Test
  void framesOfAReleasedSlotAreNotOpenSpans() {
    writer.writeFrame(0, 0, SpanRecordBuilder.span().name("stale").end(0).build());
    writer.setDepth(0, 1);
    writer.releaseSlot(0);
    assertThat(drainer.openSpans(new long[2])).isEmpty();
  }
}
