package dev.weft.internal.decode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.ScopeTable;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A decoded span's stored form (values only, int64/double unboxed, keys and thread tail in a
 * shared {@link SpanLayout}) and its lazily built SpanData view: the view says what the record
 * says whichever form the decoder took, its objects are built on first use and then the same on
 * every call, and reading through {@link NativeFields} builds none of them.
 */
class NativeSpanDataTest {
  private static final long T0 = 1_700_000_000_000_000_000L;
  /** SpanRecordBuilder's default trace id. */
  private static final long TRACE_HI = 0x0102030405060708L;
  private static final long TRACE_LO = 0x090a0b0c0d0e0f10L;
  private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("lib");

  private final SpanDecoder decoder = new SpanDecoder();
  private final SpanDecoder.Origin origin =
      new SpanDecoder.Origin(Resource.getDefault(), ScopeTable.of(SCOPE), "worker-1");

  /** Every attribute type, with values a box cache would hold and values it would not. */
  private static SpanRecordBuilder record(long seq) {
    return SpanRecordBuilder.span().name("op").kind(3).spanId(seq + 1)
        .parentSpanId(0x2122232425262728L + seq)
        .flags(seq % 2 == 0 ? Abi.SPAN_FLAG_PARENT_REMOTE : 0)
        .start(T0 + seq).end(T0 + seq + 500).tid(77)
        .attr("small", 3L).attr("seq", 1_000_000L + seq).attr("negative", -seq - 1)
        .attr("text", "value-" + seq).attr("unicode", "ü€𝄞").attr("empty", "")
        .attr("ratio", seq / 2.0).attr("nan", Double.NaN).attr("minus.zero", -0.0)
        .attr("even", seq % 2 == 0);
  }

  /** What {@link #record} says, as the SDK builds it (own attributes, then thread.*). */
  private static Attributes expected(long seq) {
    return Attributes.builder().put("small", 3L).put("seq", 1_000_000L + seq)
        .put("negative", -seq - 1).put("text", "value-" + seq).put("unicode", "ü€𝄞")
        .put("empty", "").put("ratio", seq / 2.0).put("nan", Double.NaN)
        .put("minus.zero", -0.0).put("even", seq % 2 == 0)
        .put(SpanDecoder.THREAD_ID, 77L).put(SpanDecoder.THREAD_NAME, "worker-1").build();
  }

  private NativeSpanData decode(SpanRecordBuilder record) {
    byte[] bytes = record.build();
    SpanData span = decoder.decode(bytes, bytes.length, origin, false);
    assertThat(span).as("decoded").isNotNull();
    return (NativeSpanData) span;
  }

  /** Five records of one name: the first two by the general path, then matching its shape. */
  private List<NativeSpanData> decodeFive() {
    List<NativeSpanData> spans = new ArrayList<>();
    for (long seq = 0; seq < 5; seq++) {
      spans.add(decode(record(seq)));
    }
    return spans;
  }

  @Test
  void bothStoredFormsShowTheSameAttributes() {
    List<NativeSpanData> spans = decodeFive();
    assertThat(spans.get(0).layout().keys).as("general path: pairs").isNull();
    assertThat(spans.get(4).layout().keys).as("shape path: values only").isNotNull();
    for (int s = 0; s < spans.size(); s++) {
      NativeSpanData span = spans.get(s);
      Attributes want = expected(s);
      Attributes got = span.getAttributes();
      assertThat(got).isInstanceOf(NativeAttributes.class);
      assertThat(got).isEqualTo(want);
      assertThat(got.asMap()).isEqualTo(want.asMap());
      assertThat(got.hashCode()).isEqualTo(want.asMap().hashCode());
      assertThat(got.size()).isEqualTo(12);
      assertThat(got.get(AttributeKey.longKey("seq"))).isEqualTo(1_000_000L + s);
      assertThat(got.get(AttributeKey.doubleKey("ratio"))).isEqualTo(s / 2.0);
      assertThat(got.get(AttributeKey.doubleKey("nan"))).isNaN();
      assertThat(Double.doubleToRawLongBits(got.get(AttributeKey.doubleKey("minus.zero"))))
          .isEqualTo(Double.doubleToRawLongBits(-0.0));
      assertThat(got.get(AttributeKey.booleanKey("even"))).isEqualTo(s % 2 == 0);
      assertThat(got.get(SpanDecoder.THREAD_NAME)).isEqualTo("worker-1");
      assertThat(got.toString()).isEqualTo("{small=3, seq=" + (1_000_000L + s) + ", negative="
          + (-s - 1) + ", text=value-" + s + ", unicode=ü€𝄞, empty=, ratio=" + (s / 2.0)
          + ", nan=NaN, minus.zero=-0.0, even=" + (s % 2 == 0)
          + ", thread.id=77, thread.name=worker-1}");
      assertThat(span.getTotalAttributeCount()).isEqualTo(12);
    }
  }

  @Test
  void viewObjectsAreBuiltOnFirstUseAndThenTheSame() {
    for (NativeSpanData span : decodeFive()) {
      assertThat(span.viewsMade()).isFalse();
      Attributes attributes = span.getAttributes();
      assertThat(span.viewsMade()).isTrue();
      assertThat(span.getAttributes()).isSameAs(attributes);
      SpanContext parent = span.getParentSpanContext();
      assertThat(span.getParentSpanContext()).isSameAs(parent);
      String traceId = span.getTraceId();
      assertThat(span.getTraceId()).isSameAs(traceId)
          .isEqualTo(TraceId.fromLongs(TRACE_HI, TRACE_LO));
      assertThat(parent.getTraceId()).isSameAs(traceId);
      assertThat(span.getSpanId()).isSameAs(span.getSpanId());
    }
  }

  @Test
  void theParentIsTheRecordsAndBuiltOnlyWhenAskedFor() {
    List<NativeSpanData> spans = decodeFive();
    for (int s = 0; s < spans.size(); s++) {
      NativeSpanData span = spans.get(s);
      boolean remote = s % 2 == 0;
      assertThat(NativeFields.parentSpanId(span)).isEqualTo(0x2122232425262728L + s);
      assertThat(NativeFields.parentIsRemote(span)).isEqualTo(remote);
      assertThat(span.viewsMade()).isFalse();
      SpanContext sdkParent = remote
          ? SpanContext.createFromRemoteParent(TraceId.fromLongs(TRACE_HI, TRACE_LO),
              SpanId.fromLong(0x2122232425262728L + s), TraceFlags.getSampled(),
              TraceState.getDefault())
          : SpanContext.create(TraceId.fromLongs(TRACE_HI, TRACE_LO),
              SpanId.fromLong(0x2122232425262728L + s), TraceFlags.getSampled(),
              TraceState.getDefault());
      assertThat(span.getParentSpanContext()).isEqualTo(sdkParent).hasSameHashCodeAs(sdkParent);
      assertThat(span.getParentSpanId()).isEqualTo(SpanId.fromLong(0x2122232425262728L + s));
    }
    // No parent: the invalid context, and "remote" is false whatever the flag says.
    NativeSpanData root = decode(record(9).parentSpanId(0).flags(Abi.SPAN_FLAG_PARENT_REMOTE));
    assertThat(root.getParentSpanContext()).isSameAs(SpanContext.getInvalid());
    assertThat(NativeFields.parentSpanId(root)).isZero();
    assertThat(NativeFields.parentIsRemote(root)).isFalse();
  }

  @Test
  void nativeFieldsReadWhatTheViewShowsWithoutBuildingIt() {
    for (NativeSpanData span : decodeFive()) {
      List<Object> read = new ArrayList<>();
      int own = NativeFields.ownPairs(span);
      for (int i = 0; i < own; i++) {
        AttributeKey<?> key = NativeFields.ownKey(span, i);
        Object value = NativeFields.ownValue(span, i);
        if (key.getType() == AttributeType.LONG) {
          assertThat(NativeFields.ownLong(span, i)).isEqualTo(value);
        } else if (key.getType() == AttributeType.DOUBLE) {
          assertThat(Double.doubleToRawLongBits(NativeFields.ownDouble(span, i)))
              .isEqualTo(Double.doubleToRawLongBits((Double) value));
        }
        read.add(key);
        read.add(value);
      }
      assertThat(NativeFields.tailIdentity(span)).isNotNull();
      for (int i = 0; i < NativeFields.tailPairs(span); i++) {
        read.add(NativeFields.tailKey(span, i));
        read.add(NativeFields.tailValue(span, i));
      }
      assertThat(NativeFields.attributeCount(span)).isEqualTo(read.size() / 2).isEqualTo(12);
      assertThat(NativeFields.traceIdHigh(span)).isEqualTo(TRACE_HI);
      assertThat(NativeFields.traceIdLow(span)).isEqualTo(TRACE_LO);
      assertThat(span.viewsMade()).as("NativeFields built no view object").isFalse();

      List<Object> shown = new ArrayList<>();
      span.getAttributes().forEach((k, v) -> {
        shown.add(k);
        shown.add(v);
      });
      assertThat(read).isEqualTo(shown); // same pairs, same order
    }
  }

  @Test
  void spansOfOneThreadAndShapeShareOneLayout() {
    List<NativeSpanData> spans = decodeFive();
    SpanLayout layout = spans.get(2).layout();
    assertThat(layout.keys).isNotNull();
    assertThat(spans.get(3).layout()).isSameAs(layout);
    assertThat(spans.get(4).layout()).isSameAs(layout);
    assertThat(NativeFields.tailIdentity(spans.get(4)))
        .isSameAs(NativeFields.tailIdentity(spans.get(0)));
    // The thread renamed: a new tail, so a new layout; the shape (keys) stays.
    origin.setThreadName("worker-2");
    NativeSpanData renamed = decode(record(5));
    assertThat(renamed.layout()).isNotSameAs(layout);
    assertThat(renamed.layout().keys).isSameAs(layout.keys);
    assertThat(renamed.getAttributes().get(SpanDecoder.THREAD_NAME)).isEqualTo("worker-2");
    assertThat(renamed.getName()).isEqualTo("op");
    assertThat(renamed.getInstrumentationScopeInfo()).isSameAs(SCOPE);
    assertThat(renamed.getResource()).isSameAs(Resource.getDefault());
  }

  @Test
  void aMatchingSpanWithAnEndedByFlagTakesTheGeneralPath() {
    decodeFive();
    NativeSpanData ended = decode(record(5).flags(Abi.SPAN_FLAG_ENDED_BY_UNWIND));
    assertThat(ended.layout().keys).isNull();
    AttributesBuilder want = expected(5).toBuilder().put(SpanDecoder.ENDED_BY, "unwind");
    assertThat(ended.getAttributes()).isEqualTo(want.build());
    assertThat(NativeFields.attributeCount(ended)).isEqualTo(13);
  }

  @Test
  void aSpanThatLeavesTheShapeMidwayKeepsEveryValue() {
    decodeFive();
    // Same first keys, then a different one: the values read so far move to the general path.
    NativeSpanData other = decode(SpanRecordBuilder.span().name("op").kind(3).tid(77)
        .attr("small", 3L).attr("seq", 1_000_123L).attr("negative", -4L).attr("text", "t")
        .attr("unicode", "u").attr("empty", "").attr("ratio", 0.25).attr("nan", 1.5)
        .attr("minus.zero", 2.5).attr("odd", true));
    assertThat(other.layout().keys).isNull();
    assertThat(other.getAttributes()).isEqualTo(Attributes.builder().put("small", 3L)
        .put("seq", 1_000_123L).put("negative", -4L).put("text", "t").put("unicode", "u")
        .put("empty", "").put("ratio", 0.25).put("nan", 1.5).put("minus.zero", 2.5)
        .put("odd", true).put(SpanDecoder.THREAD_ID, 77L)
        .put(SpanDecoder.THREAD_NAME, "worker-1").build());
    assertThat(NativeFields.ownLong(other, 1)).isEqualTo(1_000_123L);
    assertThat(NativeFields.ownDouble(other, 6)).isEqualTo(0.25);
  }

  @Test
  void aSpanWithoutAttributesOrThreadHasTheEmptyView() {
    SpanDecoder.Origin bare = new SpanDecoder.Origin(Resource.empty(), ScopeTable.of(SCOPE), null);
    for (int i = 0; i < 4; i++) {
      byte[] bytes = SpanRecordBuilder.span().name("bare").tid(0).build();
      NativeSpanData span = (NativeSpanData) decoder.decode(bytes, bytes.length, bare, false);
      assertThat(span.getAttributes()).isSameAs(NativeAttributes.EMPTY);
      assertThat(NativeFields.ownPairs(span)).isZero();
      assertThat(NativeFields.tailIdentity(span)).isNull();
      assertThat(span.getTotalAttributeCount()).isZero();
    }
  }
}
