package dev.weft.internal.decode;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * The valid parent {@link SpanContext} of a native span, from the record's raw parent id
 * (already checked to be non-zero). It shares its child's trace id (string included) and trace
 * flags, as the record has one of each; the span id's hex string is built on first use and kept (a
 * racy but safe single check: Strings are immutable). {@code equals} compares by the interface's
 * getters, so this equals a {@code SpanContext.create(...)} with the same values, and
 * {@code hashCode} is the one the SDK's implementation computes (the SDK's own {@code equals} only
 * accepts its own class, so that direction says false).
 */
@Immutable
final class NativeSpanContext implements SpanContext {
  private final NativeSpanData child;
  private final long spanId;
  private final boolean remote;
  @Nullable private String spanIdHex;

  NativeSpanContext(NativeSpanData child, long spanId, boolean remote) {
    this.child = child;
    this.spanId = spanId;
    this.remote = remote;
  }

  @Override
  public String getTraceId() {
    return child.getTraceId();
  }

  @Override
  public String getSpanId() {
    String hex = spanIdHex;
    if (hex == null) {
      hex = SpanId.fromLong(spanId);
      spanIdHex = hex;
    }
    return hex;
  }

  @Override
  public byte[] getTraceIdBytes() {
    return child.getTraceIdBytes();
  }

  @Override
  public byte[] getSpanIdBytes() {
    byte[] bytes = new byte[8];
    SpanContexts.putLong(bytes, 0, spanId);
    return bytes;
  }

  @Override
  public TraceFlags getTraceFlags() {
    return child.getTraceFlags();
  }

  @Override
  public TraceState getTraceState() {
    return TraceState.getDefault();
  }

  @Override
  public boolean isValid() {
    return true;
  }

  @Override
  public boolean isRemote() {
    return remote;
  }

  @Override
  public boolean equals(Object o) {
    return SpanContexts.equal(this, o);
  }

  @Override
  public int hashCode() {
    return SpanContexts.hash(this);
  }

  @Override
  public String toString() {
    return SpanContexts.toString(this);
  }
}
