package dev.weft.internal.decode;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.Collections;
import java.util.List;
import javax.annotation.concurrent.Immutable;

/**
 * A span decoded from a native record: an immutable {@link SpanData} that holds the decoded
 * values directly (no builder, no second copy). Every field is final and every collection it
 * hands out is unmodifiable.
 */
@Immutable
final class NativeSpanData implements SpanData {
  private final String name;
  private final SpanKind kind;
  private final SpanContext spanContext;
  private final SpanContext parentSpanContext;
  private final StatusData status;
  private final long startEpochNanos;
  private final long endEpochNanos;
  private final Attributes attributes;
  private final List<EventData> events;
  private final int totalAttributeCount;
  private final int totalRecordedEvents;
  private final InstrumentationScopeInfo scope;
  private final Resource resource;

  NativeSpanData(String name, SpanKind kind, SpanContext spanContext,
      SpanContext parentSpanContext, StatusData status, long startEpochNanos,
      long endEpochNanos, Attributes attributes, List<EventData> events,
      int totalAttributeCount, int totalRecordedEvents, InstrumentationScopeInfo scope,
      Resource resource) {
    this.name = name;
    this.kind = kind;
    this.spanContext = spanContext;
    this.parentSpanContext = parentSpanContext;
    this.status = status;
    this.startEpochNanos = startEpochNanos;
    this.endEpochNanos = endEpochNanos;
    this.attributes = attributes;
    this.events = events;
    this.totalAttributeCount = totalAttributeCount;
    this.totalRecordedEvents = totalRecordedEvents;
    this.scope = scope;
    this.resource = resource;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public SpanKind getKind() {
    return kind;
  }

  @Override
  public SpanContext getSpanContext() {
    return spanContext;
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
    return totalRecordedEvents;
  }

  @Override
  public int getTotalRecordedLinks() {
    return 0;
  }

  @Override
  public int getTotalAttributeCount() {
    return totalAttributeCount;
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

  @Override
  public String toString() {
    return "NativeSpanData{name=" + name + ", kind=" + kind + ", spanContext=" + spanContext
        + ", parentSpanContext=" + parentSpanContext + ", status=" + status
        + ", startEpochNanos=" + startEpochNanos + ", endEpochNanos=" + endEpochNanos
        + ", attributes=" + attributes + ", events=" + events
        + ", totalAttributeCount=" + totalAttributeCount
        + ", totalRecordedEvents=" + totalRecordedEvents + ", scope=" + scope + "}";
  }
}
