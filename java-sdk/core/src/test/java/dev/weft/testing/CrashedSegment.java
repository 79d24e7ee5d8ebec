package dev.weft.testing;

import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.SegmentWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The segment a crashed process leaves, built byte for byte: 2 slots with 500 finished spans each
 * never drained ({@code done-<id>}, ids 1..1000) and 2 open spans each in the frames
 * ({@code outer0}, {@code inner0} on slot 0, {@code outer1}, {@code inner1} with an event on slot
 * 1), {@code last_end_unix_nanos} set as an ABI 1.1 writer does, and, optionally, a RESOURCE
 * record ({@code service.name=crashy}).
 */
public final class CrashedSegment {
  public static final long T0 = 1_700_000_000_000_000_000L;
  /** The latest activity of slot 0 (its last end) and of slot 1 (an event in an open frame). */
  public static final long SLOT0_LAST_ACTIVITY = T0 + 9_000_000;
  public static final long SLOT1_LAST_ACTIVITY = T0 + 20_000_000;

  private CrashedSegment() {}

  /**
   * @param pid the creator pid written in the header; with {@code startTicks} and {@code bootId}
   *     naming no running process the creator is dead
   */
  public static SegmentWriter create(Path path, boolean withResource, int pid, long startTicks,
      byte[] bootId) throws IOException {
    SegmentWriter.Layout layout = new SegmentWriter.Layout().slots(2).ring(1 << 17).frames(4, 512);
    layout.pid = pid;
    layout.startTicks = startTicks;
    layout.bootId = bootId;
    if (withResource) {
      layout.withResourceArea();
    }
    SegmentWriter w = SegmentWriter.create(path, layout);
    w.registerScope("codec", "2");
    if (withResource) {
      w.writeResource(resourceRecord(Map.of("service.name", "crashy", "host.name", "box"), pid));
    }
    long id = 1;
    for (int slot = 0; slot < 2; slot++) {
      w.claimSlot(slot, 100 + slot, "worker-" + slot);
      for (int i = 0; i < 500; i++, id++) {
        if (!w.append(slot, SpanRecordBuilder.span().spanId(id).name("done-" + id)
            .start(T0 + id * 1000).end(T0 + id * 1000 + 500).attr("seq", id).build())) {
          throw new IllegalStateException("ring full");
        }
      }
    }
    w.setCounter(0, Abi.SLOT_LAST_END_OFFSET, SLOT0_LAST_ACTIVITY);
    w.writeFrame(0, 0, SpanRecordBuilder.span().spanId(5001).name("outer0").start(T0 + 10)
        .end(0).build());
    w.writeFrame(0, 1, SpanRecordBuilder.span().spanId(5002).parentSpanId(5001).name("inner0")
        .start(T0 + 20).end(0).build());
    w.setDepth(0, 2);
    w.setCounter(1, Abi.SLOT_LAST_END_OFFSET, T0 + 1_000_000);
    w.writeFrame(1, 0, SpanRecordBuilder.span().spanId(5003).name("outer1").start(T0 + 30)
        .end(0).build());
    w.writeFrame(1, 1, SpanRecordBuilder.span().spanId(5004).parentSpanId(5003).name("inner1")
        .start(T0 + 40).end(0).event("step", SLOT1_LAST_ACTIVITY, 0).build());
    w.setDepth(1, 2);
    return w;
  }

  /** A RESOURCE record (type 4) with these string attributes and {@code process.pid}. */
  public static byte[] resourceRecord(Map<String, String> strings, long pid) {
    ByteArrayOutputStream items = new ByteArrayOutputStream();
    int count = 0;
    for (Map.Entry<String, String> e : new TreeMap<>(strings).entrySet()) {
      items.writeBytes(SpanRecordBuilder.attribute(1, e.getKey(),
          e.getValue().getBytes(StandardCharsets.UTF_8)));
      count++;
    }
    items.writeBytes(SpanRecordBuilder.attribute(3, "process.pid", SpanRecordBuilder.le(pid)));
    count++;
    byte[] body = items.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(16 + body.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, 16 + body.length).putShort(4, (short) 4).putShort(6, (short) 16)
        .putShort(8, (short) count);
    b.put(16, body);
    return b.array();
  }
}
