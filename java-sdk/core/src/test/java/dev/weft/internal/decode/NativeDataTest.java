package dev.weft.internal.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contracts of the decoder's own Attributes and SpanContext implementations. */
class NativeDataTest {
  private static final AttributeKey<String> S = AttributeKey.stringKey("s");
  private static final AttributeKey<Long> L = AttributeKey.longKey("l");
  private static final AttributeKey<Boolean> B = AttributeKey.booleanKey("b");

  private static NativeAttributes attrs(Object... pairs) {
    SpanDecoder.PairBuffer buffer = new SpanDecoder.PairBuffer();
    for (int i = 0; i < pairs.length; i += 2) {
      buffer.put((AttributeKey<?>) pairs[i], pairs[i + 1]);
    }
    return buffer.build();
  }

  @Test
  void attributesHonourTheInterface() {
    NativeAttributes a = attrs(S, "x", L, 5L, B, true);
    Attributes sdk = Attributes.of(S, "x", L, 5L, B, true);
    assertThat(a.size()).isEqualTo(3);
    assertThat(a.isEmpty()).isFalse();
    assertThat(a.get(S)).isEqualTo("x");
    assertThat(a.get(L)).isEqualTo(5L);
    assertThat(a.get(AttributeKey.stringKey("l"))).isNull(); // same name, other type
    assertThat(a.asMap()).isEqualTo(sdk.asMap());
    assertThat(a).isEqualTo(sdk);
    assertThat(a.hashCode()).isEqualTo(sdk.asMap().hashCode());
    assertThat(a).isEqualTo(attrs(B, true, L, 5L, S, "x")).hasSameHashCodeAs(
        attrs(B, true, L, 5L, S, "x"));
    assertThat(a).isNotEqualTo(attrs(S, "x", L, 6L, B, true));
    assertThat(a.toBuilder().build()).isEqualTo(sdk);
    Map<AttributeKey<?>, Object> seen = new HashMap<>();
    a.forEach(seen::put);
    assertThat(seen).isEqualTo(sdk.asMap());
    assertThat(NativeAttributes.EMPTY.isEmpty()).isTrue();
    assertThat(NativeAttributes.EMPTY).isEqualTo(Attributes.empty());
  }

  @Test
  void lastOneWinsByKeyNameAndEmptyKeysAreIgnored() {
    NativeAttributes a = attrs(S, "first", L, 1L, AttributeKey.longKey("s"), 2L,
        AttributeKey.stringKey(""), "dropped");
    assertThat(a.size()).isEqualTo(2);
    assertThat(a.get(S)).isNull();
    assertThat(a.get(AttributeKey.longKey("s"))).isEqualTo(2L);
    assertThat(a).isEqualTo(Attributes.builder().put(S, "first").put(L, 1L)
        .put(AttributeKey.longKey("s"), 2L).put(AttributeKey.stringKey(""), "dropped").build());
  }

  @Test
  void spanContextEqualsTheSdksOwn() {
    long hi = 0x0102030405060708L;
    long lo = 0x090a0b0c0d0e0f10L;
    NativeSpanData child = span(hi, lo, 0x1112131415161718L, 0x2122232425262728L, true);
    SpanContext parent = child.getParentSpanContext();
    SpanContext sdkChild = SpanContext.create(TraceId.fromLongs(hi, lo),
        SpanId.fromLong(0x1112131415161718L), TraceFlags.getSampled(), TraceState.getDefault());
    SpanContext sdkParent = SpanContext.createFromRemoteParent(TraceId.fromLongs(hi, lo),
        SpanId.fromLong(0x2122232425262728L), TraceFlags.getSampled(), TraceState.getDefault());
    assertThat(child.getSpanContext()).isSameAs(child);
    assertThat(child).isEqualTo(sdkChild).hasSameHashCodeAs(sdkChild);
    assertThat(parent).isInstanceOf(NativeSpanContext.class);
    assertThat(parent).isEqualTo(sdkParent).hasSameHashCodeAs(sdkParent);
    assertThat((Object) child).isNotEqualTo(sdkParent);
    assertThat(parent).isNotEqualTo(sdkChild);
    assertThat(child.getTraceId()).isEqualTo("0102030405060708090a0b0c0d0e0f10");
    assertThat(parent.getTraceId()).isSameAs(child.getTraceId());
    assertThat(child.getTraceIdBytes()).isEqualTo(sdkChild.getTraceIdBytes());
    assertThat(child.getSpanIdBytes()).isEqualTo(sdkChild.getSpanIdBytes());
    assertThat(parent.getSpanIdBytes()).isEqualTo(sdkParent.getSpanIdBytes());
    assertThat(child.isValid()).isTrue();
    assertThat(child.isSampled()).isTrue();
    assertThat(child.isRemote()).isFalse();
    assertThat(parent.isRemote()).isTrue();
    assertThat(parent.getTraceFlags()).isEqualTo(TraceFlags.getSampled());
  }

  @Test
  void aSpanWithoutParentHasTheInvalidContextAsParent() {
    NativeSpanData span = span(1, 2, 3, 0, false);
    assertThat(span.getParentSpanContext()).isSameAs(SpanContext.getInvalid());
    assertThat(span.getParentSpanId()).isEqualTo(SpanId.getInvalid());
    // Two decodes of one span are equal (SpanContext equality); another span is not.
    assertThat(span).isEqualTo(span(1, 2, 3, 0, false)).isNotEqualTo(span(1, 2, 4, 0, false));
  }

  @Test
  void attributesWithASharedTail() {
    Object[] tail = {L, 7L, B, false};
    NativeAttributes a = new NativeAttributes(new Object[] {S, "x"}, tail);
    Attributes sdk = Attributes.of(S, "x", L, 7L, B, false);
    assertThat(a.size()).isEqualTo(3);
    assertThat(a.get(L)).isEqualTo(7L);
    assertThat(a.get(S)).isEqualTo("x");
    assertThat(a).isEqualTo(sdk).hasSameHashCodeAs(sdk.asMap());
    assertThat(a.asMap()).isEqualTo(sdk.asMap());
    assertThat(a.toString()).isEqualTo("{s=x, l=7, b=false}");
    assertThat(new NativeAttributes(new Object[0], tail).size()).isEqualTo(2);
  }

  private static NativeSpanData span(long hi, long lo, long id, long parent, boolean remote) {
    SpanLayout layout = new SpanLayout("s", null, null, new Object[0],
        io.opentelemetry.sdk.common.InstrumentationScopeInfo.create("t"),
        io.opentelemetry.sdk.resources.Resource.empty());
    return new NativeSpanData(layout, 0, hi, lo, id, TraceFlags.getSampled().asByte(), parent,
        remote, io.opentelemetry.sdk.trace.data.StatusData.unset(), 1, 2, new Object[0],
        NativeSpanData.NO_NUMBERS, java.util.List.of(), 0, 0);
  }
}
