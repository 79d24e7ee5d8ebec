package dev.weft.internal.recovery;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import javax.annotation.concurrent.Immutable;

/**
 * A span that was open when its process died, as recovery exports it: ended at the slot's last
 * activity, status ERROR {@value #STATUS_MESSAGE}, and {@code weft.span.end_reason} =
 * {@value #END_REASON_PROCESS_DIED} (docs/architecture.md "Crash recovery").
 */
@Immutable
final class InterruptedSpan extends DelegatingSpanData {
  static final AttributeKey<String> END_REASON = AttributeKey.stringKey("weft.span.end_reason");
  static final String END_REASON_PROCESS_DIED = "process_died";
  static final String STATUS_MESSAGE = "the process ended while the span was open";
  private static final StatusData STATUS = StatusData.create(StatusCode.ERROR, STATUS_MESSAGE);

  private final long end;
  private final Attributes attributes;
  private final int totalAttributes;

  InterruptedSpan(SpanData open, long end) {
    super(open);
    this.end = Math.max(end, open.getStartEpochNanos());
    this.attributes = open.getAttributes().toBuilder()
        .put(END_REASON, END_REASON_PROCESS_DIED).build();
    this.totalAttributes = open.getTotalAttributeCount() + 1;
  }

  @Override
  public long getEndEpochNanos() {
    return end;
  }

  @Override
  public boolean hasEnded() {
    return true;
  }

  @Override
  public StatusData getStatus() {
    return STATUS;
  }

  @Override
  public Attributes getAttributes() {
    return attributes;
  }

  @Override
  public int getTotalAttributeCount() {
    return totalAttributes;
  }
}
