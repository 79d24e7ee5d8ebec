package dev.weft.internal.decode;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceState;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * A valid {@link SpanContext} decoded from a native record: a span's own ({@link NativeSpanData},
 * which is its own context to save an allocation per span) or its parent's
 * ({@link NativeSpanContext}). The span id is the record's (checked to be non-zero); its hex
 * string is built on first use and kept (a racy but safe single check: Strings are immutable).
 * The trace state is always the default one. {@code equals} compares by the interface's getters,
 * so this equals a {@code SpanContext.create(...)} with the same values, and {@code hashCode} is
 * the one the SDK's implementation computes (the SDK's own {@code equals} only accepts its own
 * class, so that direction says false).
 */
@Immutable
abstract class NativeContext implements SpanContext {
  private final long spanId;
  @Nullable private String spanIdHex;

  NativeContext(long spanId) {
    this.spanId = spanId;
  }

  /** The span id as the record has it (never 0). */
  final long spanIdLong() {
    return spanId;
  }

  @Override
  public final String getSpanId() {
    String hex = spanIdHex;
    if (hex == null) {
      hex = SpanId.fromLong(spanId);
      spanIdHex = hex;
    }
    return hex;
  }

  @Override
  public final byte[] getSpanIdBytes() {
    byte[] bytes = new byte[8];
    putLong(bytes, 0, spanId);
    return bytes;
  }

  @Override
  public final TraceState getTraceState() {
    return TraceState.getDefault();
  }

  @Override
  public final boolean isValid() {
    return true;
  }

  /** True if {@code o} is a valid SpanContext with the same values. */
  @Override
  public final boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof SpanContext)) {
      return false;
    }
    SpanContext that = (SpanContext) o;
    return that.isValid() && getTraceId().equals(that.getTraceId())
        && getSpanId().equals(that.getSpanId())
        && getTraceFlags().equals(that.getTraceFlags())
        && getTraceState().equals(that.getTraceState()) && isRemote() == that.isRemote();
  }

  /**
   * The AutoValue hash of the SDK's ImmutableSpanContext, field by field in declaration order, so
   * that equal contexts of either class hash alike.
   */
  @Override
  public final int hashCode() {
    int h = 1;
    h = (h * 1000003) ^ getTraceId().hashCode();
    h = (h * 1000003) ^ getSpanId().hashCode();
    h = (h * 1000003) ^ getTraceFlags().hashCode();
    h = (h * 1000003) ^ getTraceState().hashCode();
    h = (h * 1000003) ^ (isRemote() ? 1231 : 1237);
    h = (h * 1000003) ^ 1231; // valid
    return h;
  }

  /** This context as the SDK's SpanContext prints itself. */
  final String contextString() {
    return "SpanContext{traceId=" + getTraceId() + ", spanId=" + getSpanId()
        + ", traceFlags=" + getTraceFlags() + ", traceState=" + getTraceState()
        + ", remote=" + isRemote() + ", valid=true}";
  }

  @Override
  public String toString() {
    return contextString();
  }

  /** Big-endian bytes of {@code value} into {@code target[offset, offset + 8)}. */
  static void putLong(byte[] target, int offset, long value) {
    for (int i = 7; i >= 0; i--) {
      target[offset + i] = (byte) value;
      value >>>= 8;
    }
  }
}
