package dev.weft.internal.decode;

import io.opentelemetry.api.trace.TraceFlags;
import javax.annotation.concurrent.Immutable;

/**
 * The valid parent {@link io.opentelemetry.api.trace.SpanContext} of a native span, from the
 * record's raw parent id (already checked to be non-zero). It shares its child's trace id (string
 * included) and trace flags, as the record has one of each; the rest is {@link NativeContext}'s.
 */
@Immutable
final class NativeSpanContext extends NativeContext {
  private final NativeSpanData child;
  private final boolean remote;

  NativeSpanContext(NativeSpanData child, long spanId, boolean remote) {
    super(spanId);
    this.child = child;
    this.remote = remote;
  }

  @Override
  public String getTraceId() {
    return child.getTraceId();
  }

  @Override
  public byte[] getTraceIdBytes() {
    return child.getTraceIdBytes();
  }

  @Override
  public TraceFlags getTraceFlags() {
    return child.getTraceFlags();
  }

  @Override
  public boolean isRemote() {
    return remote;
  }
}
