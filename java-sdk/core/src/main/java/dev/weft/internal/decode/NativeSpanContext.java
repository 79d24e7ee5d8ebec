package dev.weft.internal.decode;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * A valid {@link SpanContext} from a record's raw ids (already checked to be non-zero). The hex
 * strings the interface requires are built on first use and kept (a racy but safe single check:
 * Strings are immutable), and a parent context shares its child's trace id string.
 * {@code equals} compares by the interface's getters, so this equals a {@code SpanContext.create(...)}
 * with the same values, and {@code hashCode} is the one the SDK's implementation computes (the
 * SDK's own {@code equals} only accepts its own class, so that direction says false).
 */
@Immutable
final class NativeSpanContext implements SpanContext {
  private final long traceHi;
  private final long traceLo;
  private final long spanId;
  private final TraceFlags flags;
  private final boolean remote;
  @Nullable private final NativeSpanContext sameTrace;
  @Nullable private String traceIdHex;
  @Nullable private String spanIdHex;

  NativeSpanContext(long traceHi, long traceLo, long spanId, TraceFlags flags, boolean remote,
      @Nullable NativeSpanContext sameTrace) {
    this.traceHi = traceHi;
    this.traceLo = traceLo;
    this.spanId = spanId;
    this.flags = flags;
    this.remote = remote;
    this.sameTrace = sameTrace;
  }

  @Override
  public String getTraceId() {
    if (sameTrace != null) {
      return sameTrace.getTraceId();
    }
    String hex = traceIdHex;
    if (hex == null) {
      hex = TraceId.fromLongs(traceHi, traceLo);
      traceIdHex = hex;
    }
    return hex;
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
    byte[] bytes = new byte[16];
    putLong(bytes, 0, traceHi);
    putLong(bytes, 8, traceLo);
    return bytes;
  }

  @Override
  public byte[] getSpanIdBytes() {
    byte[] bytes = new byte[8];
    putLong(bytes, 0, spanId);
    return bytes;
  }

  private static void putLong(byte[] target, int offset, long value) {
    for (int i = 7; i >= 0; i--) {
      target[offset + i] = (byte) value;
      value >>>= 8;
    }
  }

  @Override
  public TraceFlags getTraceFlags() {
    return flags;
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
    if (o == this) {
      return true;
    }
    if (!(o instanceof SpanContext)) {
      return false;
    }
    SpanContext that = (SpanContext) o;
    return getTraceId().equals(that.getTraceId()) && getSpanId().equals(that.getSpanId())
        && flags.equals(that.getTraceFlags()) && getTraceState().equals(that.getTraceState())
        && remote == that.isRemote() && that.isValid();
  }

  @Override
  public int hashCode() {
    // The AutoValue hash of the SDK's ImmutableSpanContext, field by field in declaration order,
    // so that equal contexts of either class hash alike.
    int h = 1;
    h = (h * 1000003) ^ getTraceId().hashCode();
    h = (h * 1000003) ^ getSpanId().hashCode();
    h = (h * 1000003) ^ flags.hashCode();
    h = (h * 1000003) ^ getTraceState().hashCode();
    h = (h * 1000003) ^ (remote ? 1231 : 1237);
    h = (h * 1000003) ^ 1231; // valid
    return h;
  }

  @Override
  public String toString() {
    return "SpanContext{traceId=" + getTraceId() + ", spanId=" + getSpanId() + ", traceFlags="
        + flags + ", traceState=" + getTraceState() + ", remote=" + remote + ", valid=true}";
  }
}
