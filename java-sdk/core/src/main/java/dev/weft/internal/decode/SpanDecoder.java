package dev.weft.internal.decode;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.ScopeTable;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
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

  private final ByteStringCache<SpanName> spanNames = new ByteStringCache<>(512, SpanName::new);
  private final ByteStringCache<String> eventNames = new ByteStringCache<>(256, s -> s);
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
  /** What the span attributes of the record being decoded were, to learn its shape. */
  private final byte[] seenTags = new byte[Shape.MAX_ATTRIBUTES];
  private final int[] seenKeyOffsets = new int[Shape.MAX_ATTRIBUTES];
  private final AttributeKey<?>[] seenKeys = new AttributeKey<?>[Shape.MAX_ATTRIBUTES];
  /** The last status message and its status, reused while the next one has the same bytes. */
  @Nullable private StatusData lastStatus;

  /** A span name, and the layout of the span attributes last seen in spans of that name. */
  static final class SpanName {
    final String name;
    @Nullable Shape shape;
    /** The layout of this name's last span decoded by the general path (keys in its pairs). */
    @Nullable SpanLayout pairsLayout;
    /** Records in a row whose attributes did not match {@link #shape}. */
    int misses;

    SpanName(String name) {
      this.name = name;
    }
  }

  /**
   * The span attributes of a record, in order: each one's item tag and key bytes, and the key
   * they decode to. Spans of one name are mostly recorded by one call site, so the next record
   * of that name usually has exactly these: the decoder then checks each key's bytes against the
   * shape's (no hash, no cache probe) and, since a shape's keys are distinct and not empty, needs
   * no last-one-wins scan. Any difference falls back to the general path for the rest of the
   * record. Immutable, except for its {@link #layout} cache (the decoder's thread only).
   *
   * <p>A matching span keeps only its values: strings and booleans in an {@code Object[]} of
   * {@link #refCount}, int64 and double bits in a {@code long[]} of {@link #numCount}, where
   * {@link #slots} say (see {@link SpanLayout}).
   */
  static final class Shape {
    static final int MAX_ATTRIBUTES = 64;
    final byte[] tags;
    final byte[][] keyBytes;
    final AttributeKey<?>[] keys;
    /** True if a key is one of the decoder's own (thread.id, thread.name, ...). */
    final boolean hasReservedKey;
    /** Per attribute: its index among the references, or {@code ~index} among the numbers. */
    final int[] slots;
    final int refCount;
    final int numCount;
    /** The layout of the last span that matched, reused while its origin is the same. */
    @Nullable SpanLayout layout;

    /** The first and second 8 bytes of each key (little-endian, zero past its end). */
    final long[] words0;
    final long[] words1;

    Shape(byte[] tags, byte[][] keyBytes, AttributeKey<?>[] keys) {
      this.tags = tags;
      this.keyBytes = keyBytes;
      this.keys = keys;
      this.words0 = new long[keys.length];
      this.words1 = new long[keys.length];
      for (int i = 0; i < keys.length; i++) {
        byte[] k = keyBytes[i];
        words0[i] = ByteStringCache.word(k, 0, Math.min(k.length, 8));
        words1[i] = k.length <= 8 ? 0 : ByteStringCache.word(k, 8, Math.min(k.length - 8, 8));
      }
      boolean reserved = false;
      for (AttributeKey<?> key : keys) {
        reserved |= isReserved(key.getKey());
      }
      this.hasReservedKey = reserved;
      this.slots = new int[keys.length];
      int refs = 0;
      int nums = 0;
      for (int i = 0; i < keys.length; i++) {
        boolean number = tags[i] == Abi.ITEM_ATTR_INT64 || tags[i] == Abi.ITEM_ATTR_DOUBLE;
        slots[i] = number ? ~nums++ : refs++;
      }
      this.refCount = refs;
      this.numCount = nums;
    }

    /** The layout for a matching span of {@code name} from this origin (the cached one if same). */
    SpanLayout layout(String name, Object[] tail, InstrumentationScopeInfo scope,
        Resource resource) {
      SpanLayout cached = layout;
      if (cached == null || !cached.sameOrigin(tail, scope, resource)) {
        cached = new SpanLayout(name, keys, slots, tail, scope, resource);
        layout = cached;
      }
      return cached;
    }

    int size() {
      return keys.length;
    }

    /** The key of attribute {@code index} if the record's item matches it, else null. */
    @Nullable
    AttributeKey<?> match(int index, int tag, byte[] record, int keyOffset, int keyLength) {
      if (index >= keys.length || tags[index] != tag) {
        return null;
      }
      byte[] expected = keyBytes[index];
      if (expected.length != keyLength) {
        return null;
      }
      if (keyLength <= 16 && keyOffset <= record.length - 16) {
        // Two loads instead of a call: most keys are short.
        return ByteStringCache.first8(record, keyOffset, keyLength) == words0[index]
            && ByteStringCache.second8(record, keyOffset, keyLength) == words1[index]
            ? keys[index] : null;
      }
      return Arrays.equals(expected, 0, keyLength, record, keyOffset, keyOffset + keyLength)
          ? keys[index] : null;
    }
  }

  static boolean isReserved(String key) {
    return key.equals(THREAD_ID.getKey()) || key.equals(THREAD_NAME.getKey())
        || key.equals(ENDED_BY.getKey()) || key.equals(TRUNCATED_COUNT.getKey());
  }

  /**
   * Key/value pairs being decoded, reused from record to record: a key already present is
   * replaced in place (last one wins, by key name as in the SDK's attributes), and
   * {@link #build} copies the pairs out once, at their exact size.
   */
  static final class PairBuffer {
    private static final Object[] NONE = new Object[0];
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

    /** Adds a pair whose key is known to be new and not empty (no scan). */
    void append(AttributeKey<?> key, Object value) {
      if (length == pairs.length) {
        pairs = Arrays.copyOf(pairs, length * 2);
      }
      pairs[length++] = key;
      pairs[length++] = value;
    }

    int size() {
      return length >> 1;
    }

    /** True if a key named like one of {@code tail}'s is present. */
    boolean containsAnyKeyOf(Object[] tail) {
      for (int t = 0; t < tail.length; t += 2) {
        String name = ((AttributeKey<?>) tail[t]).getKey();
        for (int i = 0; i < length; i += 2) {
          if (((AttributeKey<?>) pairs[i]).getKey().equals(name)) {
            return true;
          }
        }
      }
      return false;
    }

    NativeAttributes build() {
      return length == 0 ? NativeAttributes.EMPTY
          : new NativeAttributes(Arrays.copyOf(pairs, length));
    }

    /** The pairs at their exact size. */
    Object[] toArray() {
      return length == 0 ? NONE : Arrays.copyOf(pairs, length);
    }
  }

  /**
   * Whether native spans carry {@code thread.id} and {@code thread.name}: the system property
   * {@value}, else {@code WEFT_SPAN_THREAD_ATTRIBUTES}; anything but {@code false} (the default)
   * keeps them. Off, each span is smaller on the wire (measured in docs/benchmarks.md).
   */
  public static final String THREAD_ATTRIBUTES_PROPERTY = "weft.span.thread.attributes";

  static boolean threadAttributesEnabled() {
    String value = System.getProperty(THREAD_ATTRIBUTES_PROPERTY);
    if (value == null) {
      value = System.getenv("WEFT_SPAN_THREAD_ATTRIBUTES");
    }
    return value == null || !value.trim().equalsIgnoreCase("false");
  }

  /** What the record does not carry: where it was found. One per slot; not thread-safe. */
  public static final class Origin {
    final Resource resource;
    final ScopeTable scopes;
    /** Read once per slot: {@link #THREAD_ATTRIBUTES_PROPERTY}. */
    private final boolean threadAttributes = threadAttributesEnabled();
    @Nullable private String threadName;
    private int cachedTid;
    @Nullable private Object[] tail;

    public Origin(Resource resource, ScopeTable scopes, @Nullable String threadName) {
      this.resource = resource;
      this.scopes = scopes;
      this.threadName = threadName;
    }

    /** The name of the thread that now owns the slot (read from the slot header). */
    public void setThreadName(@Nullable String threadName) {
      this.threadName = threadName;
      this.tail = null;
    }

    /** thread.id (unless {@code tid} is 0) and thread.name (if known) as shared pairs. */
    Object[] threadPairs(int tid) {
      Object[] pairs = tail;
      if (pairs == null || cachedTid != tid) {
        pairs = threadAttributes ? newThreadPairs(tid) : PairBuffer.NONE;
        cachedTid = tid;
        tail = pairs;
      }
      return pairs;
    }

    private Object[] newThreadPairs(int tid) {
      boolean named = threadName != null && !threadName.isEmpty();
      Object[] pairs = new Object[(tid != 0 ? 2 : 0) + (named ? 2 : 0)];
      int i = 0;
      if (tid != 0) {
        pairs[i++] = THREAD_ID;
        pairs[i++] = Integer.toUnsignedLong(tid);
      }
      if (named) {
        pairs[i++] = THREAD_NAME;
        pairs[i] = threadName;
      }
      return pairs;
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
    SpanName spanName = spanNames.get(record, p, nameLength);
    p += nameLength;

    PairBuffer spanAttributes = this.spanPairs;
    int spanAttrsSeen = 0;
    // While every span attribute so far matches the shape of the name's last spans, the values
    // go straight into arrays of their final size.
    @Nullable Shape shape = spanName.shape;
    boolean matching = shape != null && shape.size() == attrCount;
    // The values only (the keys are the shape's), int64/double ones unboxed.
    Object[] refs = matching && shape.refCount > 0 ? new Object[shape.refCount] : PairBuffer.NONE;
    long[] nums = matching && shape.numCount > 0 ? new long[shape.numCount]
        : NativeSpanData.NO_NUMBERS;
    if (!matching) {
      spanAttributes.clear();
    }
    // Learn this record's shape if the previous record of this name missed too (or had none):
    // a name seen for the first time (new, or pushed out of the cache) learns nothing yet.
    boolean learning = spanName.misses >= 1 && attrCount <= Shape.MAX_ATTRIBUTES;
    // Events: at most one per 24 bytes of what is left, whatever event_count claims.
    @Nullable EventData firstEvent = null;
    @Nullable List<EventData> events = null;
    int eventsSeen = 0;
    int statusOffset = -1;
    int statusLength = 0;

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
        if (itemLength < Abi.ATTR_PREFIX_SIZE) {
          return null;
        }
        int keyLength = u16(record, p + Abi.ITEM_HEADER_SIZE);
        int valueLength = itemLength - Abi.ATTR_PREFIX_SIZE - keyLength;
        if (valueLength < 0) {
          return null;
        }
        int keyOffset = p + Abi.ATTR_PREFIX_SIZE;
        int valueOffset = keyOffset + keyLength;
        // int64 and double values are boxed only where they go into a pair.
        boolean number = tag == Abi.ITEM_ATTR_INT64 || tag == Abi.ITEM_ATTR_DOUBLE;
        long bits = 0;
        Object value = null;
        if (number) {
          if (valueLength != 8) {
            return null;
          }
          bits = (long) LONG_LE.get(record, valueOffset);
        } else {
          value = attributeValue(record, tag, valueOffset, valueLength);
          if (value == null) {
            return null;
          }
        }
        if (eventAttrsPending > 0) {
          eventAttrsPending--;
          eventAttributes.put(key(tag, record, keyOffset, keyLength),
              number ? box(tag, bits) : value);
          if (eventAttrsPending == 0) {
            Attributes built = eventAttributes.build();
            eventAttributes.clear();
            EventData event = EventData.create(eventTime, eventName, built,
                built.size() + eventDropped);
            if (eventsSeen++ == 0) {
              firstEvent = event;
            } else {
              events = addEvent(events, firstEvent, event, eventCount);
            }
            eventAttributes = null;
          }
        } else {
          if (spanAttrsSeen == attrCount) {
            return null;
          }
          int index = spanAttrsSeen++;
          AttributeKey<?> key = matching ? shape.match(index, tag, record, keyOffset, keyLength)
              : null;
          if (key != null) {
            int slot = shape.slots[index]; // keys distinct and not empty: see Shape
            if (slot >= 0) {
              refs[slot] = value;
            } else {
              nums[~slot] = bits;
            }
          } else {
            if (matching) {
              matching = false;
              copyInto(spanAttributes, shape, refs, nums, index);
            }
            key = key(tag, record, keyOffset, keyLength);
            spanAttributes.put(key, number ? box(tag, bits) : value);
          }
          if (learning) {
            seenTags[index] = (byte) tag;
            seenKeyOffsets[index] = keyOffset;
            seenKeys[index] = key;
          }
        }
      } else if (tag == Abi.ITEM_EVENT) {
        if (eventAttrsPending > 0 || eventsSeen == eventCount
            || itemLength < Abi.EVENT_PREFIX_SIZE) {
          return null;
        }
        int eventNameLength = u16(record, p + Abi.EVENT_NAME_LENGTH_OFFSET);
        // Exactly the name: a longer item would hide bytes the name claims not to have.
        if (eventNameLength != itemLength - Abi.EVENT_PREFIX_SIZE) {
          return null;
        }
        eventName = eventNames.get(record, p + Abi.EVENT_PREFIX_SIZE, eventNameLength);
        eventTime = (long) LONG_LE.get(record, p + Abi.EVENT_TIME_OFFSET);
        eventDropped = u16(record, p + Abi.EVENT_DROPPED_ATTR_COUNT_OFFSET);
        eventAttrsPending = u16(record, p + Abi.EVENT_ATTR_COUNT_OFFSET);
        if (eventAttrsPending == 0) {
          EventData event = EventData.create(eventTime, eventName, NativeAttributes.EMPTY,
              eventDropped);
          if (eventsSeen++ == 0) {
            firstEvent = event;
          } else {
            events = addEvent(events, firstEvent, event, eventCount);
          }
        } else {
          eventAttributes = this.eventPairs;
          eventAttributes.clear();
        }
      } else if (tag == Abi.ITEM_STATUS_MESSAGE) {
        if (eventAttrsPending > 0) {
          return null;
        }
        statusOffset = p + Abi.ITEM_HEADER_SIZE; // the last one wins
        statusLength = itemLength - Abi.ITEM_HEADER_SIZE;
      } else if (eventAttrsPending > 0) {
        // An event's attribute items must follow it directly.
        return null;
      }
      // Unknown tags are skipped by their length.
      p += itemLength;
    }
    if (eventAttrsPending > 0 || spanAttrsSeen != attrCount || eventsSeen != eventCount) {
      return null;
    }

    // The shape: kept while it matches, replaced after two misses in a row (a shape that most
    // spans of the name have survives the occasional other one).
    boolean matched = matching;
    if (matched) {
      spanName.misses = 0;
    } else if (learning && spanAttributes.size() == attrCount) {
      spanName.shape = learnShape(record, attrCount);
      spanName.misses = 0;
    } else if (spanName.misses < Integer.MAX_VALUE) {
      spanName.misses++;
    }

    Object[] threadPairs = origin.threadPairs(tid);
    int endedBy = flags & (Abi.SPAN_FLAG_ENDED_BY_THREAD_EXIT | Abi.SPAN_FLAG_ENDED_BY_UNWIND);
    if (matched && endedBy == 0 && truncatedCount == 0
        && (threadPairs.length == 0 || !shape.hasReservedKey)) {
      SpanLayout layout = shape.layout(spanName.name, threadPairs, scope, origin.resource);
      return span(record, layout, kindCode, traceHi, traceLo, spanId, parentSpanId, flags,
          statusCode, statusOffset, statusLength, start, end, refs, nums, eventsSeen, firstEvent,
          events, droppedAttrCount, droppedEventCount);
    }
    if (matched) {
      copyInto(spanAttributes, shape, refs, nums, attrCount);
    }
    boolean ownThreadKeys = threadPairs.length > 0 && spanAttributes.containsAnyKeyOf(threadPairs);
    if (ownThreadKeys) {
      // The record has a thread.* attribute of its own: ours win, as they always have.
      for (int i = 0; i < threadPairs.length; i += 2) {
        spanAttributes.put((AttributeKey<?>) threadPairs[i], threadPairs[i + 1]);
      }
      threadPairs = PairBuffer.NONE;
    }
    if ((flags & Abi.SPAN_FLAG_ENDED_BY_THREAD_EXIT) != 0) {
      spanAttributes.put(ENDED_BY, ENDED_BY_THREAD_EXIT);
    } else if ((flags & Abi.SPAN_FLAG_ENDED_BY_UNWIND) != 0) {
      spanAttributes.put(ENDED_BY, ENDED_BY_UNWIND);
    }
    if (truncatedCount != 0) {
      spanAttributes.put(TRUNCATED_COUNT, (long) truncatedCount);
    }
    Object[] pairs = spanAttributes.toArray();
    SpanLayout layout = spanName.pairsLayout;
    if (layout == null || !layout.sameOrigin(threadPairs, scope, origin.resource)) {
      layout = new SpanLayout(spanName.name, null, null, threadPairs, scope, origin.resource);
      spanName.pairsLayout = layout;
    }
    return span(record, layout, kindCode, traceHi, traceLo, spanId, parentSpanId, flags,
        statusCode, statusOffset, statusLength, start, end, pairs, NativeSpanData.NO_NUMBERS,
        eventsSeen, firstEvent, events, droppedAttrCount, droppedEventCount);
  }

  /**
   * The first {@code count} attributes of a span that matched {@code shape} so far (distinct
   * keys, not empty; values in {@code refs} and {@code nums}) into {@code buffer} as pairs.
   */
  private static void copyInto(PairBuffer buffer, Shape shape, Object[] refs, long[] nums,
      int count) {
    buffer.clear();
    for (int i = 0; i < count; i++) {
      int slot = shape.slots[i];
      buffer.append(shape.keys[i], slot >= 0 ? refs[slot] : box(shape.tags[i], nums[~slot]));
    }
  }

  /** An int64 (tag {@link Abi#ITEM_ATTR_INT64}) or double attribute value as its box. */
  private static Object box(int tag, long bits) {
    return tag == Abi.ITEM_ATTR_INT64 ? (Object) bits : (Object) Double.longBitsToDouble(bits);
  }

  private NativeSpanData span(byte[] record, SpanLayout layout, int kindCode, long traceHi,
      long traceLo, long spanId, long parentSpanId, int flags, int statusCode, int statusOffset,
      int statusLength, long start, long end, Object[] values, long[] numbers, int eventsSeen,
      @Nullable EventData firstEvent, @Nullable List<EventData> events, int droppedAttrCount,
      int droppedEventCount) {
    StatusData status = status(statusCode, record, statusOffset, statusLength);
    List<EventData> eventList = eventsSeen == 0 ? Collections.emptyList()
        : eventsSeen == 1 ? Collections.singletonList(firstEvent)
        : Collections.unmodifiableList(events);
    // Hex ids are built when an exporter asks for them (the OTLP marshaler does, once).
    return new NativeSpanData(layout, kindCode - 1, traceHi, traceLo, spanId,
        record[Abi.SPAN_TRACE_FLAGS_OFFSET], parentSpanId,
        (flags & Abi.SPAN_FLAG_PARENT_REMOTE) != 0, status, start, end, values, numbers,
        eventList, droppedAttrCount, droppedEventCount);
  }

  /** A second or later event: a list (the first is kept apart: most spans have at most one). */
  private static List<EventData> addEvent(@Nullable List<EventData> events, EventData first,
      EventData event, int eventCount) {
    if (events == null) {
      // At most one per 24 bytes of the record, whatever event_count claims (bounded above).
      events = new ArrayList<>(Math.min(eventCount, 64));
      events.add(first);
    }
    events.add(event);
    return events;
  }

  private Shape learnShape(byte[] record, int count) {
    byte[] tags = Arrays.copyOf(seenTags, count);
    byte[][] keyBytes = new byte[count][];
    AttributeKey<?>[] keys = Arrays.copyOf(seenKeys, count);
    for (int i = 0; i < count; i++) {
      int keyOffset = seenKeyOffsets[i];
      keyBytes[i] = Arrays.copyOfRange(record, keyOffset,
          keyOffset + u16(record, keyOffset - 2));
    }
    Arrays.fill(seenKeys, 0, count, null);
    return new Shape(tags, keyBytes, keys);
  }

  private AttributeKey<?> key(int tag, byte[] record, int keyOffset, int keyLength) {
    switch (tag) {
      case Abi.ITEM_ATTR_STRING:
        return stringKeys.get(record, keyOffset, keyLength);
      case Abi.ITEM_ATTR_BOOL:
        return boolKeys.get(record, keyOffset, keyLength);
      case Abi.ITEM_ATTR_INT64:
        return longKeys.get(record, keyOffset, keyLength);
      default:
        return doubleKeys.get(record, keyOffset, keyLength);
    }
  }

  /**
   * A string or bool attribute item's value, or null if it is malformed (int64 and double items
   * are read as their 8 bytes by the caller).
   */
  @Nullable
  private static Object attributeValue(byte[] record, int tag, int offset, int length) {
    if (tag == Abi.ITEM_ATTR_STRING) {
      return new String(record, offset, length, StandardCharsets.UTF_8);
    }
    // Exactly one byte, 0 or 1: anything else is corruption, not "true".
    if (length != 1 || (record[offset] & 0xfe) != 0) {
      return null;
    }
    return record[offset] != 0 ? Boolean.TRUE : Boolean.FALSE;
  }

  /**
   * The status; a message equal to the previous one (compared as ASCII bytes, no allocation)
   * reuses its StatusData, as error messages tend to repeat.
   */
  private StatusData status(int code, byte[] record, int messageOffset, int messageLength) {
    if (messageOffset < 0 || messageLength == 0) {
      switch (code) {
        case 1:
          return StatusData.ok();
        case 2:
          return StatusData.error();
        default:
          return StatusData.unset();
      }
    }
    StatusData last = lastStatus;
    if (last != null && last.getStatusCode().ordinal() == code
        && sameAscii(last.getDescription(), record, messageOffset, messageLength)) {
      return last;
    }
    String message = new String(record, messageOffset, messageLength, StandardCharsets.UTF_8);
    StatusData status = StatusData.create(STATUS_CODES[code], message);
    lastStatus = status;
    return status;
  }

  private static final io.opentelemetry.api.trace.StatusCode[] STATUS_CODES = {
    io.opentelemetry.api.trace.StatusCode.UNSET, io.opentelemetry.api.trace.StatusCode.OK,
    io.opentelemetry.api.trace.StatusCode.ERROR
  };

  /** True if {@code bytes} are ASCII and spell {@code s}. */
  private static boolean sameAscii(String s, byte[] bytes, int offset, int length) {
    if (s.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      int b = bytes[offset + i];
      if (b < 0 || b != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int u16(byte[] record, int offset) {
    return Short.toUnsignedInt((short) SHORT_LE.get(record, offset));
  }
}
