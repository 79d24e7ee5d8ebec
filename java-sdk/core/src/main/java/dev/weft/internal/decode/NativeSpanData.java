package dev.weft.internal.decode;

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
 * values directly (no builder, no second copy). Every field is final except the hex id strings,
 * built on first use and kept (a racy but safe single check: Strings are immutable); every
 * collection it hands out is unmodifiable.
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

  private final String name;
  private final SpanContext parentSpanContext;
  private final StatusData status;
  private final Attributes attributes;
  private final List<EventData> events;
  private final InstrumentationScopeInfo scope;
  private final Resource resource;
  @Nullable private String traceIdHex;
  private final long traceHi;
  private final long traceLo;
  private final long startEpochNanos;
  private final long endEpochNanos;
  private final char droppedAttributes;
  private final char droppedEvents;
  private final byte kind;
  private final byte traceFlags;

  /**
   * @param kind 0 for {@link SpanKind#INTERNAL}, in the order of {@link SpanKind#values()}
   * @param parentSpanId 0 for none; else the parent context shares this span's trace id and flags
   */
  NativeSpanData(String name, int kind, long traceHi, long traceLo, long spanId, byte traceFlags,
      long parentSpanId, boolean parentRemote, StatusData status, long startEpochNanos,
      long endEpochNanos, Attributes attributes, List<EventData> events, int droppedAttributes,
      int droppedEvents, InstrumentationScopeInfo scope, Resource resource) {
    super(spanId);
    this.name = name;
    this.kind = (byte) kind;
    this.traceHi = traceHi;
    this.traceLo = traceLo;
    this.traceFlags = traceFlags;
    this.parentSpanContext = parentSpanId == 0 ? SpanContext.getInvalid()
        : new NativeSpanContext(this, parentSpanId, parentRemote);
    this.status = status;
    this.startEpochNanos = startEpochNanos;
    this.endEpochNanos = endEpochNanos;
    this.attributes = attributes;
    this.events = events;
    this.droppedAttributes = (char) droppedAttributes;
    this.droppedEvents = (char) droppedEvents;
    this.scope = scope;
    this.resource = resource;
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
    SpanContext parent = parentSpanContext;
    return parent instanceof NativeSpanContext ? ((NativeSpanContext) parent).spanIdLong() : 0;
  }

  @Override
  public String getName() {
    return name;
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
    return parentSpanContext;
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
    return attributes.size() + droppedAttributes;
  }

  @Override
  @Deprecated
  @SuppressWarnings("deprecation") // required by the interface until it is removed
  public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
    return InstrumentationLibraryInfo.create(scope.getName(), scope.getVersion(),
        scope.getSchemaUrl());
  }

  @Override
  public InstrumentationScopeInfo getInstrumentationScopeInfo() {
    return scope;
  }

  @Override
  public Resource getResource() {
    return resource;
  }

  // SpanContext: this span's own context (never remote; ids checked non-zero, so valid).

  @Override
  public String getTraceId() {
    String hex = traceIdHex;
    if (hex == null) {
      hex = TraceId.fromLongs(traceHi, traceLo);
      traceIdHex = hex;
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
    return "NativeSpanData{name=" + name + ", kind=" + getKind() + ", spanContext="
        + contextString() + ", parentSpanContext=" + parentSpanContext + ", status="
        + status + ", startEpochNanos=" + startEpochNanos + ", endEpochNanos=" + endEpochNanos
        + ", attributes=" + attributes + ", events=" + events
        + ", totalAttributeCount=" + getTotalAttributeCount()
        + ", totalRecordedEvents=" + getTotalRecordedEvents() + ", scope=" + scope + "}";
  }
}
