package dev.weft.internal.decode;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.ScopeTable;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.annotation.Nullable;

/**
 * Validates one SPAN record (already copied out of shared memory into a private array, so that
 * every byte is read once and cannot change under the checks) and converts it into an immutable
 * {@link NativeSpanData}. Every check of docs/shm-abi.md "Records" is applied; a record that
 * fails one returns {@code null} and the caller counts it as corrupt. Nothing here allocates an
 * amount chosen by the record beyond its own (bounded) length.
 *
 * <p>Not thread-safe: one decoder per collector thread.
 */
public final class SpanDecoder {
  public static final AttributeKey<Long> THREAD_ID = AttributeKey.longKey("thread.id");
  public static final AttributeKey<String> THREAD_NAME = AttributeKey.stringKey("thread.name");
  public static final AttributeKey<String> ENDED_BY = AttributeKey.stringKey("weft.span.ended_by");
  public static final AttributeKey<Long> TRUNCATED_COUNT = AttributeKey.longKey("weft.truncated_count");
  static final String ENDED_BY_THREAD_EXIT = "thread_exit";
  static final String ENDED_BY_UNWIND = "unwind";

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle SHORT_LE =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

  private static final SpanKind[] KINDS = {
    null, SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER,
    SpanKind.CONSUMER
  };

  private final ByteStringCache<String> names = new ByteStringCache<>(512, s -> s);
  private final ByteStringCache<AttributeKey<String>> stringKeys =
      new ByteStringCache<>(256, AttributeKey::stringKey);
  private final ByteStringCache<AttributeKey<Boolean>> boolKeys =
      new ByteStringCache<>(128, AttributeKey::booleanKey);
  private final ByteStringCache<AttributeKey<Long>> longKeys =
      new ByteStringCache<>(256, AttributeKey::longKey);
  private final ByteStringCache<AttributeKey<Double>> doubleKeys =
      new ByteStringCache<>(128, AttributeKey::doubleKey);

  private final PairBuffer spanPairs = new PairBuffer();
  private final PairBuffer eventPairs = new PairBuffer();

  /**
   * Key/value pairs being decoded, reused from record to record: a key already present is
   * replaced in place (last one wins, by key name as in the SDK's attributes), and
   * {@link #build} copies the pairs out once, at their exact size.
   */
  static final class PairBuffer {
    private Object[] pairs = new Object[32];
    private int length;

    void clear() {
      Arrays.fill(pairs, 0, length, null);
      length = 0;
    }

    void put(AttributeKey<?> key, Object value) {
      String name = key.getKey();
      if (name.isEmpty()) {
        return; // as the SDK's AttributesBuilder does
      }
      for (int i = 0; i < length; i += 2) {
        AttributeKey<?> k = (AttributeKey<?>) pairs[i];
        // Cached keys: usually the same object, else names of another length or hash.
        String other;
        if (k == key || (other = k.getKey()) == name
            || (other.length() == name.length() && other.hashCode() == name.hashCode()
                && other.equals(name))) {
          pairs[i] = key;
          pairs[i + 1] = value;
          return;
        }
      }
      if (length == pairs.length) {
        pairs = Arrays.copyOf(pairs, length * 2);
      }
      pairs[length++] = key;
      pairs[length++] = value;
    }

    NativeAttributes build() {
      return length == 0 ? NativeAttributes.EMPTY
          : new NativeAttributes(Arrays.copyOf(pairs, length));
    }
  }

  /** What the record does not carry: where it was found. One per slot; not thread-safe. */
  public static final class Origin {
    final Resource resource;
    final ScopeTable scopes;
    @Nullable private String threadName;
    private int cachedTid;
    @Nullable private Long cachedTidValue;

    public Origin(Resource resource, ScopeTable scopes, @Nullable String threadName) {
      this.resource = resource;
      this.scopes = scopes;
      this.threadName = threadName;
    }

    /** The name of the thread that now owns the slot (read from the slot header). */
    public void setThreadName(@Nullable String threadName) {
      this.threadName = threadName;
    }

    Long threadId(int tid) {
      Long value = cachedTidValue;
      if (value == null || cachedTid != tid) {
        value = Integer.toUnsignedLong(tid);
        cachedTid = tid;
        cachedTidValue = value;
      }
      return value;
    }
  }

  /**
   * Decodes {@code record[0, length)}.
   *
   * @param allowOpen true for frames (post-mortem), where {@code end_unix_nanos} is 0 while open
   * @return the span, or null if the record fails validation
   */
  @Nullable
  public SpanData decode(byte[] record, int length, Origin origin, boolean allowOpen) {
    if (length < Abi.SPAN_FIXED_SIZE || length > record.length) {
      return null;
    }
    int fixedSize = u16(record, Abi.RECORD_FIXED_SIZE_OFFSET);
    if (fixedSize < Abi.SPAN_FIXED_SIZE || fixedSize > length - 2) {
      return null;
    }
    long traceHi = (long) LONG_BE.get(record, Abi.SPAN_TRACE_ID_OFFSET);
    long traceLo = (long) LONG_BE.get(record, Abi.SPAN_TRACE_ID_OFFSET + 8);
    long spanId = (long) LONG_BE.get(record, Abi.SPAN_SPAN_ID_OFFSET);
    long parentSpanId = (long) LONG_BE.get(record, Abi.SPAN_PARENT_SPAN_ID_OFFSET);
    if ((traceHi | traceLo) == 0 || spanId == 0) {
      return null;
    }
    int kindCode = record[Abi.SPAN_KIND_OFFSET] & 0xff;
    int statusCode = record[Abi.SPAN_STATUS_CODE_OFFSET] & 0xff;
    int flags = record[Abi.SPAN_FLAGS_OFFSET] & 0xff;
    if (kindCode < 1 || kindCode > 5 || statusCode > 2) {
      return null;
    }
    long start = (long) LONG_LE.get(record, Abi.SPAN_START_OFFSET);
    long end = (long) LONG_LE.get(record, Abi.SPAN_END_OFFSET);
    if (end == 0 ? !allowOpen : Long.compareUnsigned(end, start) < 0) {
      return null;
    }
    int tid = (int) INT_LE.get(record, Abi.SPAN_TID_OFFSET);
    InstrumentationScopeInfo scope =
        origin.scopes.get(u16(record, Abi.SPAN_SCOPE_INDEX_OFFSET));
    if (scope == null) {
      return null; // scope_index >= scope_count
    }
    int attrCount = u16(record, Abi.SPAN_ATTR_COUNT_OFFSET);
    int eventCount = u16(record, Abi.SPAN_EVENT_COUNT_OFFSET);
    int droppedAttrCount = u16(record, Abi.SPAN_DROPPED_ATTR_COUNT_OFFSET);
    int droppedEventCount = u16(record, Abi.SPAN_DROPPED_EVENT_COUNT_OFFSET);
    int truncatedCount = u16(record, Abi.SPAN_TRUNCATED_COUNT_OFFSET);

    int p = fixedSize;
    int nameLength = u16(record, p);
    p += 2;
    if (nameLength > length - p) {
      return null;
    }
    String name = names.get(record, p, nameLength);
    p += nameLength;

    PairBuffer spanAttributes = this.spanPairs;
    spanAttributes.clear();
    int spanAttrsSeen = 0;
    // Events: at most one per 24 bytes of what is left, whatever event_count claims.
    List<EventData> events =
        eventCount == 0 ? Collections.emptyList()
            : new ArrayList<>(Math.min(eventCount, (length - p) / Abi.EVENT_PREFIX_SIZE + 1));
    @Nullable String statusMessage = null;

    // The event being read: its attributes follow it.
    int eventAttrsPending = 0;
    @Nullable PairBuffer eventAttributes = null;
    String eventName = "";
    long eventTime = 0;
    int eventDropped = 0;

    while (p < length) {
      if (length - p < Abi.ITEM_HEADER_SIZE) {
        return null;
      }
      int tag = record[p] & 0xff;
      int itemLength = u16(record, p + 2);
      if (itemLength < Abi.ITEM_HEADER_SIZE || itemLength > length - p) {
        return null;
      }
      if (tag >= Abi.ITEM_ATTR_STRING && tag <= Abi.ITEM_ATTR_DOUBLE) {
        PairBuffer target;
        if (eventAttrsPending > 0) {
          target = eventAttributes;
          eventAttrsPending--;
        } else {
          if (spanAttrsSeen == attrCount) {
            return null;
          }
          spanAttrsSeen++;
          target = spanAttributes;
        }
        if (!readAttribute(record, p, itemLength, tag, target)) {
          return null;
        }
        if (eventAttributes != null && eventAttrsPending == 0) {
          Attributes built = eventAttributes.build();
          eventAttributes.clear();
          events.add(EventData.create(eventTime, eventName, built, built.size() + eventDropped));
          eventAttributes = null;
        }
      } else if (tag == Abi.ITEM_EVENT) {
        if (eventAttrsPending > 0 || events.size() == eventCount
            || itemLength < Abi.EVENT_PREFIX_SIZE) {
          return null;
        }
        int eventNameLength = u16(record, p + Abi.EVENT_NAME_LENGTH_OFFSET);
        // Exactly the name: a longer item would hide bytes the name claims not to have.
        if (eventNameLength != itemLength - Abi.EVENT_PREFIX_SIZE) {
          return null;
        }
        eventName = names.get(record, p + Abi.EVENT_PREFIX_SIZE, eventNameLength);
        eventTime = (long) LONG_LE.get(record, p + Abi.EVENT_TIME_OFFSET);
        eventDropped = u16(record, p + Abi.EVENT_DROPPED_ATTR_COUNT_OFFSET);
        eventAttrsPending = u16(record, p + Abi.EVENT_ATTR_COUNT_OFFSET);
        if (eventAttrsPending == 0) {
          events.add(EventData.create(eventTime, eventName, NativeAttributes.EMPTY,
              eventDropped));
        } else {
          eventAttributes = this.eventPairs;
          eventAttributes.clear();
        }
      } else if (tag == Abi.ITEM_STATUS_MESSAGE) {
        if (eventAttrsPending > 0) {
          return null;
        }
        statusMessage = new String(record, p + Abi.ITEM_HEADER_SIZE,
            itemLength - Abi.ITEM_HEADER_SIZE, StandardCharsets.UTF_8);
      } else if (eventAttrsPending > 0) {
        // An event's attribute items must follow it directly.
        return null;
      }
      // Unknown tags are skipped by their length.
      p += itemLength;
    }
    if (eventAttrsPending > 0 || spanAttrsSeen != attrCount || events.size() != eventCount) {
      return null;
    }

    if (tid != 0) {
      spanAttributes.put(THREAD_ID, origin.threadId(tid));
    }
    String threadName = origin.threadName;
    if (threadName != null && !threadName.isEmpty()) {
      spanAttributes.put(THREAD_NAME, threadName);
    }
    if ((flags & Abi.SPAN_FLAG_ENDED_BY_THREAD_EXIT) != 0) {
      spanAttributes.put(ENDED_BY, ENDED_BY_THREAD_EXIT);
    } else if ((flags & Abi.SPAN_FLAG_ENDED_BY_UNWIND) != 0) {
      spanAttributes.put(ENDED_BY, ENDED_BY_UNWIND);
    }
    if (truncatedCount != 0) {
      spanAttributes.put(TRUNCATED_COUNT, (long) truncatedCount);
    }
    Attributes attributes = spanAttributes.build();

    TraceFlags traceFlags = TraceFlags.fromByte(record[Abi.SPAN_TRACE_FLAGS_OFFSET]);
    // Hex ids are built when an exporter asks for them (the OTLP marshaler does, once).
    NativeSpanContext context =
        new NativeSpanContext(traceHi, traceLo, spanId, traceFlags, false, null);
    SpanContext parent = parentSpanId == 0 ? SpanContext.getInvalid()
        : new NativeSpanContext(traceHi, traceLo, parentSpanId, traceFlags,
            (flags & Abi.SPAN_FLAG_PARENT_REMOTE) != 0, context);
    StatusData status = status(statusCode, statusMessage);
    List<EventData> eventList = events.isEmpty() ? Collections.emptyList()
        : Collections.unmodifiableList(events);
    return new NativeSpanData(name, KINDS[kindCode], context, parent, status, start, end,
        attributes, eventList, attributes.size() + droppedAttrCount,
        events.size() + droppedEventCount, scope, origin.resource);
  }

  private static StatusData status(int code, @Nullable String message) {
    if (message == null || message.isEmpty()) {
      switch (code) {
        case 1:
          return StatusData.ok();
        case 2:
          return StatusData.error();
        default:
          return StatusData.unset();
      }
    }
    switch (code) {
      case 1:
        return StatusData.create(io.opentelemetry.api.trace.StatusCode.OK, message);
      case 2:
        return StatusData.create(io.opentelemetry.api.trace.StatusCode.ERROR, message);
      default:
        return StatusData.create(io.opentelemetry.api.trace.StatusCode.UNSET, message);
    }
  }

  /** Reads one attribute item at {@code p} into {@code target}; false if it does not fit. */
  private boolean readAttribute(byte[] record, int p, int itemLength, int tag,
      PairBuffer target) {
    if (itemLength < Abi.ATTR_PREFIX_SIZE) {
      return false;
    }
    int keyLength = u16(record, p + Abi.ITEM_HEADER_SIZE);
    int valueLength = itemLength - Abi.ATTR_PREFIX_SIZE - keyLength;
    if (valueLength < 0) {
      return false;
    }
    int keyOffset = p + Abi.ATTR_PREFIX_SIZE;
    int valueOffset = keyOffset + keyLength;
    switch (tag) {
      case Abi.ITEM_ATTR_STRING:
        target.put(stringKeys.get(record, keyOffset, keyLength),
            new String(record, valueOffset, valueLength, StandardCharsets.UTF_8));
        return true;
      case Abi.ITEM_ATTR_BOOL:
        // Exactly one byte, 0 or 1: anything else is corruption, not "true".
        if (valueLength != 1 || (record[valueOffset] & 0xfe) != 0) {
          return false;
        }
        target.put(boolKeys.get(record, keyOffset, keyLength), record[valueOffset] != 0);
        return true;
      case Abi.ITEM_ATTR_INT64:
        if (valueLength != 8) {
          return false;
        }
        target.put(longKeys.get(record, keyOffset, keyLength),
            (long) LONG_LE.get(record, valueOffset));
        return true;
      default:
        if (valueLength != 8) {
          return false;
        }
        target.put(doubleKeys.get(record, keyOffset, keyLength),
            Double.longBitsToDouble((long) LONG_LE.get(record, valueOffset)));
        return true;
    }
  }

  private static int u16(byte[] record, int offset) {
    return Short.toUnsignedInt((short) SHORT_LE.get(record, offset));
  }
}
