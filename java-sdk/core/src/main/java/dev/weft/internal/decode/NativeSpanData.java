package dev.weft.internal.decode;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.Collections;
import java.util.List;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * A span decoded from a native record: an immutable {@link SpanData} that holds the decoded
 * values directly (no builder, no second copy); every collection it hands out is unmodifiable.
 * What spans of one name, thread and scope share (name, attribute keys, the thread's attribute
 * tail, scope, resource) is one {@link SpanLayout} they all point to.
 *
 * <p>Its attributes are kept as values only, the keys being the layout's, with int64 and double
 * values unboxed in a {@code long[]} (see {@link SpanLayout}); {@link NativeFields} reads them so,
 * for Weft's marshaler. The objects of the {@code SpanData} view that the marshaler does not need
 * are built on first use and kept (in one holder, {@code Views}), a benign race as
 * {@code String.hash} is: the hex trace id, the {@link Attributes} ({@link NativeAttributes},
 * boxed values) and the parent {@link SpanContext}. Each is immutable (final fields, so safely
 * seen by any thread that reads the reference); the same thread gets the same object on every
 * call, except that two threads racing on a span's first calls may each build one, equal to the
 * other's, and then see whichever was stored last.
 *
 * <p>It is also its own {@link SpanContext} ({@link #getSpanContext()} returns {@code this}): the
 * record's ids are fields here rather than in a second object, which saves an allocation per span.
 * The two interfaces agree wherever they overlap ({@code getTraceId()}, {@code getSpanId()} are
 * the span's own), and {@code equals}/{@code hashCode} are those of a SpanContext
 * ({@link NativeContext}): two spans with the same ids are equal, as an exporter deduplicating by
 * context would expect.
 */
@Immutable
final class NativeSpanData extends NativeContext implements SpanData {
  private static final SpanKind[] KINDS = SpanKind.values();
  static final long[] NO_NUMBERS = new long[0];

  private final SpanLayout layout;
  private final StatusData status;
  private final List<EventData> events;
  /**
   * The own attributes' values (strings and booleans; int64/double ones are in {@link #numbers}),
   * by {@code layout.slots}; or, if {@code layout.keys} is null, key/value pairs (boxed values).
   * Never modified.
   */
  private final Object[] values;
  /** The own int64 and double values (raw bits) by {@code layout.slots}. Never modified. */
  private final long[] numbers;
  /** The view's objects, built on first use (benign races, see the class comment). */
  @Nullable private Views views;
  private final long traceHi;
  private final long traceLo;
  private final long startEpochNanos;
  private final long endEpochNanos;
  private final long parentSpanId;
  private final char droppedAttributes;
  private final char droppedEvents;
  private final byte kind;
  private final byte traceFlags;
  private final boolean parentRemote;

  /**
   * @param kind 0 for {@link SpanKind#INTERNAL}, in the order of {@link SpanKind#values()}
   * @param parentSpanId 0 for none; else the parent context shares this span's trace id and flags
   * @param values the own attribute values as {@code layout} says (taken over, never modified)
   * @param numbers the own int64/double bits as {@code layout} says (taken over, never modified)
   */
  NativeSpanData(SpanLayout layout, int kind, long traceHi, long traceLo, long spanId,
      byte traceFlags, long parentSpanId, boolean parentRemote, StatusData status,
      long startEpochNanos, long endEpochNanos, Object[] values, long[] numbers,
      List<EventData> events, int droppedAttributes, int droppedEvents) {
    super(spanId);
    this.layout = layout;
    this.kind = (byte) kind;
    this.traceHi = traceHi;
    this.traceLo = traceLo;
    this.traceFlags = traceFlags;
    this.parentSpanId = parentSpanId;
    this.parentRemote = parentSpanId != 0 && parentRemote;
    this.status = status;
    this.startEpochNanos = startEpochNanos;
    this.endEpochNanos = endEpochNanos;
    this.values = values;
    this.numbers = numbers;
    this.events = events;
    this.droppedAttributes = (char) droppedAttributes;
    this.droppedEvents = (char) droppedEvents;
  }

  /** The high 8 bytes of the trace id, big-endian (what {@link #getTraceIdBytes()} starts with). */
  long traceHi() {
    return traceHi;
  }

  /** The low 8 bytes of the trace id, big-endian. */
  long traceLo() {
    return traceLo;
  }

  /** The parent's span id, or 0 if this span has no parent. */
  long parentSpanIdLong() {
    return parentSpanId;
  }

  /** The layout this span shares with others (for tests). */
  SpanLayout layout() {
    return layout;
  }

  /** True once a getter of the SpanData view built one of its objects (for tests). */
  boolean viewsMade() {
    return views != null;
  }

  /** {@code getParentSpanContext().isRemote()}, without making the parent context. */
  boolean parentRemote() {
    return parentRemote;
  }

  // The attributes as stored (what getAttributes() shows: own pairs, then the thread's tail).

  /** The number of this span's own attributes (those before the shared tail). */
  int ownPairs() {
    AttributeKey<?>[] keys = layout.keys;
    return keys == null ? values.length >> 1 : keys.length;
  }

  AttributeKey<?> ownKey(int i) {
    AttributeKey<?>[] keys = layout.keys;
    return keys == null ? (AttributeKey<?>) values[2 * i] : keys[i];
  }

  /** Own attribute {@code i}'s value, boxed if it is an int64 or a double (a new box each call). */
  Object ownValue(int i) {
    AttributeKey<?>[] keys = layout.keys;
    if (keys == null) {
      return values[2 * i + 1];
    }
    int slot = layout.slots[i];
    if (slot >= 0) {
      return values[slot];
    }
    long bits = numbers[~slot];
    return keys[i].getType() == AttributeType.DOUBLE ? (Object) Double.longBitsToDouble(bits)
        : (Object) bits;
  }

  /** Own attribute {@code i}'s value, which must be an int64 ({@code ownKey(i)} a long key). */
  long ownLong(int i) {
    return layout.keys == null ? (Long) values[2 * i + 1] : numbers[~layout.slots[i]];
  }

  /** Own attribute {@code i}'s value, which must be a double. */
  double ownDouble(int i) {
    return layout.keys == null ? (Double) values[2 * i + 1]
        : Double.longBitsToDouble(numbers[~layout.slots[i]]);
  }

  /** The shared tail's pairs (thread.id, thread.name): never to be modified. */
  Object[] tail() {
    return layout.tail;
  }

  /** The number of attributes getAttributes() has (own + tail), without making it. */
  int attributeCount() {
    return ownPairs() + (layout.tail.length >> 1);
  }

  /**
   * The objects of the {@code SpanData} view that are built on first use. One holder rather than
   * a field each: a span that nobody asks for them (what Weft's marshaler exports) is 8 bytes
   * smaller. Its fields are plain, each set once by whichever thread gets there first (or by
   * both, to equal values) and only ever holding immutable objects.
   */
  private static final class Views {
    @Nullable String traceIdHex;
    @Nullable Attributes attributes;
    @Nullable SpanContext parent;
  }

  private Views views() {
    Views v = views;
    if (v == null) {
      v = new Views();
      views = v;
    }
    return v;
  }

  private Attributes newAttributes() {
    int own = ownPairs();
    Object[] tail = layout.tail;
    if (own == 0 && tail.length == 0) {
      return NativeAttributes.EMPTY;
    }
    if (layout.keys == null) {
      return new NativeAttributes(values, tail); // shared: neither modifies it
    }
    Object[] pairs = new Object[2 * own];
    for (int i = 0; i < own; i++) {
      pairs[2 * i] = layout.keys[i];
      pairs[2 * i + 1] = ownValue(i);
    }
    return new NativeAttributes(pairs, tail);
  }

  @Override
  public String getName() {
    return layout.name;
  }

  @Override
  public SpanKind getKind() {
    return KINDS[kind];
  }

  @Override
  public SpanContext getSpanContext() {
    return this;
  }

  @Override
  public SpanContext getParentSpanContext() {
    if (parentSpanId == 0) {
      return SpanContext.getInvalid();
    }
    Views v = views();
    SpanContext parent = v.parent;
    if (parent == null) {
      parent = new NativeSpanContext(this, parentSpanId, parentRemote);
      v.parent = parent;
    }
    return parent;
  }

  @Override
  public StatusData getStatus() {
    return status;
  }

  @Override
  public long getStartEpochNanos() {
    return startEpochNanos;
  }

  @Override
  public Attributes getAttributes() {
    Views v = views();
    Attributes attributes = v.attributes;
    if (attributes == null) {
      attributes = newAttributes();
      v.attributes = attributes;
    }
    return attributes;
  }

  @Override
  public List<EventData> getEvents() {
    return events;
  }

  @Override
  public List<LinkData> getLinks() {
    return Collections.emptyList();
  }

  /** The end time, or 0 for a span that was still open (post-mortem view of a frame). */
  @Override
  public long getEndEpochNanos() {
    return endEpochNanos;
  }

  @Override
  public boolean hasEnded() {
    return endEpochNanos != 0;
  }

  @Override
  public int getTotalRecordedEvents() {
    return events.size() + droppedEvents;
  }

  @Override
  public int getTotalRecordedLinks() {
    return 0;
  }

  @Override
  public int getTotalAttributeCount() {
    return attributeCount() + droppedAttributes;
  }

  @Override
  @Deprecated
  @SuppressWarnings("deprecation") // required by the interface until it is removed
  public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
    InstrumentationScopeInfo scope = layout.scope;
    return InstrumentationLibraryInfo.create(scope.getName(), scope.getVersion(),
        scope.getSchemaUrl());
  }

  @Override
  public InstrumentationScopeInfo getInstrumentationScopeInfo() {
    return layout.scope;
  }

  @Override
  public Resource getResource() {
    return layout.resource;
  }

  // SpanContext: this span's own context (never remote; ids checked non-zero, so valid).

  @Override
  public String getTraceId() {
    Views v = views();
    String hex = v.traceIdHex;
    if (hex == null) {
      hex = TraceId.fromLongs(traceHi, traceLo);
      v.traceIdHex = hex;
    }
    return hex;
  }

  @Override
  public byte[] getTraceIdBytes() {
    byte[] bytes = new byte[16];
    putLong(bytes, 0, traceHi);
    putLong(bytes, 8, traceLo);
    return bytes;
  }

  @Override
  public TraceFlags getTraceFlags() {
    return TraceFlags.fromByte(traceFlags);
  }

  @Override
  public boolean isRemote() {
    return false;
  }

  @Override
  public String toString() {
    return "NativeSpanData{name=" + layout.name + ", kind=" + getKind() + ", spanContext="
        + contextString() + ", parentSpanContext=" + getParentSpanContext() + ", status="
        + status + ", startEpochNanos=" + startEpochNanos + ", endEpochNanos=" + endEpochNanos
        + ", attributes=" + getAttributes() + ", events=" + events
        + ", totalAttributeCount=" + getTotalAttributeCount()
        + ", totalRecordedEvents=" + getTotalRecordedEvents() + ", scope=" + layout.scope + "}";
  }
}
