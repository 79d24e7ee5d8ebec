package dev.weft.internal.decode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds SPAN (type 1) and CONTEXT (type 3) records byte for byte as docs/shm-abi.md "Records"
 * lays them out. Counts ({@code attr_count}, {@code event_count}) follow what was added unless
 * overridden, so tests can also build inconsistent records.
 */
public final class SpanRecordBuilder {
  private final ByteBuffer fixed = ByteBuffer.allocate(80).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteArrayOutputStream items = new ByteArrayOutputStream();
  private byte[] name = "span".getBytes(StandardCharsets.UTF_8);
  private int attrCount;
  private int eventCount;
  private Integer attrCountOverride;
  private Integer eventCountOverride;
  private int type = 1;
  private int fixedSize = 80;

  public SpanRecordBuilder() {
    traceId(0x0102030405060708L, 0x090a0b0c0d0e0f10L);
    spanId(0x1112131415161718L);
    fixed.put(32, (byte) 1); // valid
    fixed.put(33, (byte) 1); // sampled
    kind(1);
    start(1_700_000_000_000_000_000L);
    end(1_700_000_000_000_001_000L);
    tid(1001);
  }

  public static SpanRecordBuilder span() {
    return new SpanRecordBuilder();
  }

  public SpanRecordBuilder traceId(long hi, long lo) {
    fixed.order(ByteOrder.BIG_ENDIAN).putLong(8, hi).putLong(16, lo).order(ByteOrder.LITTLE_ENDIAN);
    return this;
  }

  public SpanRecordBuilder spanId(long id) {
    fixed.order(ByteOrder.BIG_ENDIAN).putLong(24, id).order(ByteOrder.LITTLE_ENDIAN);
    return this;
  }

  public SpanRecordBuilder parentSpanId(long id) {
    fixed.order(ByteOrder.BIG_ENDIAN).putLong(40, id).order(ByteOrder.LITTLE_ENDIAN);
    return this;
  }

  public SpanRecordBuilder traceFlags(int flags) {
    fixed.put(33, (byte) flags);
    return this;
  }

  public SpanRecordBuilder kind(int kind) {
    fixed.put(36, (byte) kind);
    return this;
  }

  public SpanRecordBuilder statusCode(int code) {
    fixed.put(37, (byte) code);
    return this;
  }

  public SpanRecordBuilder flags(int flags) {
    fixed.put(38, (byte) flags);
    return this;
  }

  public SpanRecordBuilder start(long nanos) {
    fixed.putLong(48, nanos);
    return this;
  }

  public SpanRecordBuilder end(long nanos) {
    fixed.putLong(56, nanos);
    return this;
  }

  public SpanRecordBuilder tid(int tid) {
    fixed.putInt(64, tid);
    return this;
  }

  public SpanRecordBuilder scopeIndex(int index) {
    fixed.putShort(68, (short) index);
    return this;
  }

  public SpanRecordBuilder droppedAttributes(int n) {
    fixed.putShort(74, (short) n);
    return this;
  }

  public SpanRecordBuilder droppedEvents(int n) {
    fixed.putShort(76, (short) n);
    return this;
  }

  public SpanRecordBuilder truncatedCount(int n) {
    fixed.putShort(78, (short) n);
    return this;
  }

  public SpanRecordBuilder attrCount(int n) {
    attrCountOverride = n;
    return this;
  }

  public SpanRecordBuilder eventCount(int n) {
    eventCountOverride = n;
    return this;
  }

  public SpanRecordBuilder name(String value) {
    name = value.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  /** A CONTEXT record (type 3, fixed size 48): header, ids, flags; no name, no items. */
  public SpanRecordBuilder asContext() {
    type = 3;
    fixedSize = 48;
    kind(0);
    return this;
  }

  public SpanRecordBuilder attr(String key, String value) {
    attrCount++;
    items.writeBytes(attribute(1, key, value.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  public SpanRecordBuilder attr(String key, boolean value) {
    attrCount++;
    items.writeBytes(attribute(2, key, new byte[] {(byte) (value ? 1 : 0)}));
    return this;
  }

  public SpanRecordBuilder attr(String key, long value) {
    attrCount++;
    items.writeBytes(attribute(3, key, le(value)));
    return this;
  }

  public SpanRecordBuilder attr(String key, double value) {
    attrCount++;
    items.writeBytes(attribute(4, key, le(Double.doubleToRawLongBits(value))));
    return this;
  }

  /** An event followed by its attributes, given as items built with {@link #attribute}. */
  public SpanRecordBuilder event(String eventName, long timeNanos, int droppedAttrs,
      byte[]... attributes) {
    eventCount++;
    byte[] nameBytes = eventName.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(24 + nameBytes.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, (byte) 16).putShort(2, (short) (24 + nameBytes.length))
        .putShort(4, (short) nameBytes.length).putShort(6, (short) attributes.length)
        .putShort(8, (short) droppedAttrs).putLong(16, timeNanos);
    b.put(24, nameBytes);
    items.writeBytes(b.array());
    for (byte[] a : attributes) {
      items.writeBytes(a);
    }
    return this;
  }

  public SpanRecordBuilder statusMessage(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + bytes.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, (byte) 32).putShort(2, (short) (4 + bytes.length)).put(4, bytes);
    items.writeBytes(b.array());
    return this;
  }

  /** Appends raw item bytes (unknown tags, broken items). */
  public SpanRecordBuilder rawItem(byte[] item) {
    items.writeBytes(item);
    return this;
  }

  /** An attribute item: tag 1 string, 2 bool, 3 int64, 4 double; value bytes as given. */
  public static byte[] attribute(int tag, String key, byte[] value) {
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    int length = 6 + keyBytes.length + value.length;
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, (byte) tag).putShort(2, (short) length).putShort(4, (short) keyBytes.length);
    b.put(6, keyBytes).put(6 + keyBytes.length, value);
    return b.array();
  }

  public static byte[] le(long value) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value).array();
  }

  public byte[] build() {
    byte[] itemBytes = items.toByteArray();
    int length = type == 3 ? fixedSize : fixedSize + 2 + name.length + itemBytes.length;
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, fixed.array(), 0, Math.min(80, fixedSize));
    b.putInt(0, length).putShort(4, (short) type).putShort(6, (short) fixedSize);
    if (type == 1) {
      b.putShort(70, (short) (attrCountOverride != null ? attrCountOverride : attrCount));
      b.putShort(72, (short) (eventCountOverride != null ? eventCountOverride : eventCount));
      b.putShort(fixedSize, (short) name.length);
      b.put(fixedSize + 2, name);
      b.put(fixedSize + 2 + name.length, itemBytes);
    }
    return b.array();
  }
}
