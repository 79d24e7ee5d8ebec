package dev.weft.internal.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.internal.decode.NativeFields;
import dev.weft.internal.decode.SpanDecoder;
import dev.weft.internal.decode.SpanRecordBuilder;
import dev.weft.internal.segment.Abi;
import dev.weft.internal.segment.ScopeTable;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Weft marshaler writes the same ExportTraceServiceRequest as the SDK's TraceRequestMarshaler
 * for the same decoded spans: both byte streams parsed with the opentelemetry-proto classes and
 * compared (resource and scope groups in a canonical order, as the SDK's order is a HashMap's),
 * and byte for byte where there is one group.
 */
class NativeTraceRequestMarshalerTest {
  private static final long T0 = 1_700_000_000_000_000_000L;

  private static final Resource RESOURCE_A = Resource.create(Attributes.of(
      AttributeKey.stringKey("service.name"), "a", AttributeKey.longKey("pid"), 42L));
  /** Equal to RESOURCE_A, another instance: a group of its own, as the SDK groups by identity. */
  private static final Resource RESOURCE_A2 = Resource.create(Attributes.of(
      AttributeKey.stringKey("service.name"), "a", AttributeKey.longKey("pid"), 42L));
  private static final Resource RESOURCE_B = Resource.create(
      Attributes.of(AttributeKey.stringKey("service.name"), "b"), "https://schema/b");

  private static final InstrumentationScopeInfo SCOPE_1 = InstrumentationScopeInfo.create("s1");
  private static final InstrumentationScopeInfo SCOPE_2 = InstrumentationScopeInfo.builder("s2")
      .setVersion("2.0").setSchemaUrl("https://schema/s2")
      .setAttributes(Attributes.of(AttributeKey.booleanKey("scope.attr"), true)).build();

  private final SpanDecoder decoder = new SpanDecoder();

  private SpanData decode(SpanDecoder.Origin origin, SpanRecordBuilder record) {
    byte[] bytes = record.build();
    SpanData span = decoder.decode(bytes, bytes.length, origin, false);
    assertThat(span).as("decoded").isNotNull();
    return span;
  }

  private static SpanDecoder.Origin origin(Resource resource, InstrumentationScopeInfo scope,
      String threadName) {
    return new SpanDecoder.Origin(resource, ScopeTable.of(scope), threadName);
  }

  /** Every attribute type, events with and without attributes, statuses, drops, parents. */
  private List<SpanData> varied(SpanDecoder.Origin origin, long base) {
    List<SpanData> spans = new ArrayList<>();
    for (int k = 0; k < 24; k++) {
      long s = base + k;
      SpanRecordBuilder b = SpanRecordBuilder.span().name(k % 5 == 0 ? "naïve ☃ span" : "span-" + k)
          .kind(1 + k % 5).traceId(0x0102030405060708L + s, k % 3 == 0 ? -1L : s * 31)
          .spanId(s + 1).traceFlags(k % 2).tid(k % 4 == 0 ? 0 : 1000 + k % 3)
          .start(T0 + s * 1000).end(T0 + s * 1000 + 500)
          .attr("str", "value-" + s).attr("empty", "").attr("unicode", "ü€𝄞")
          .attr("bool.true", true).attr("bool.false", false)
          .attr("long", s).attr("long.zero", 0L).attr("long.negative", -s - 1)
          .attr("long.max", Long.MAX_VALUE).attr("double", s / 3.0).attr("double.zero", 0.0)
          .attr("double.negative", -1.5e300);
      if (k % 3 == 1) {
        b.parentSpanId(s + 1000);
      } else if (k % 3 == 2) {
        b.parentSpanId(s + 2000).flags(Abi.SPAN_FLAG_PARENT_REMOTE);
      }
      if (k % 2 == 0) {
        b.event("tick", T0 + s * 1000 + 100, 0,
            SpanRecordBuilder.attribute(3, "n", SpanRecordBuilder.le(s)),
            SpanRecordBuilder.attribute(1, "why", "because".getBytes(
                java.nio.charset.StandardCharsets.UTF_8)),
            SpanRecordBuilder.attribute(2, "ok", new byte[] {1}),
            SpanRecordBuilder.attribute(4, "ratio",
                SpanRecordBuilder.le(Double.doubleToRawLongBits(0.25))));
        b.event("bare", T0 + s * 1000 + 200, 0);
      }
      if (k % 4 == 1) {
        b.event("dropped-some", T0 + s * 1000 + 300, 3,
            SpanRecordBuilder.attribute(3, "kept", SpanRecordBuilder.le(7)));
      }
      if (k % 5 == 3) {
        b.droppedAttributes(4).droppedEvents(2);
      }
      switch (k % 4) {
        case 1:
          b.statusCode(2).statusMessage("boom ✗ " + s);
          break;
        case 2:
          b.statusCode(1);
          break;
        case 3:
          b.statusCode(2);
          break;
        default:
          break; // unset
      }
      spans.add(decode(origin, b));
    }
    return spans;
  }

  private static byte[] bytes(Marshaler marshaler) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    marshaler.writeBinaryTo(out);
    assertThat(out.size()).as("declared size").isEqualTo(marshaler.getBinarySerializedSize());
    return out.toByteArray();
  }

  private static byte[] sdkBytes(List<SpanData> batch) throws IOException {
    return bytes(TraceRequestMarshaler.create(batch));
  }

  /**
   * The request with its resource and scope groups sorted (spans keep their order): the SDK's
   * groups come in an IdentityHashMap's order, the Weft marshaler's in first-seen order.
   */
  private static ExportTraceServiceRequest canonical(byte[] bytes) throws IOException {
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(bytes);
    List<ResourceSpans> resources = new ArrayList<>();
    for (ResourceSpans rs : request.getResourceSpansList()) {
      List<ScopeSpans> scopes = rs.getScopeSpansList().stream()
          .sorted(Comparator.comparing(s -> s.getScope().toString() + s.getSchemaUrl()))
          .collect(Collectors.toList());
      resources.add(rs.toBuilder().clearScopeSpans().addAllScopeSpans(scopes).build());
    }
    resources.sort(Comparator.comparing(r -> r.getResource().toString() + r.getSchemaUrl()
        + r.getScopeSpansList().stream().map(s -> s.getScope().toString())
            .collect(Collectors.joining())));
    return request.toBuilder().clearResourceSpans().addAllResourceSpans(resources).build();
  }

  private static void assertEquivalent(NativeTraceRequestMarshaler weft, List<SpanData> batch)
      throws IOException {
    Marshaler marshaler = weft.initialize(batch);
    assertThat(marshaler).isSameAs(weft);
    byte[] weftBytes = bytes(marshaler);
    byte[] sdkBytes = sdkBytes(batch);
    ExportTraceServiceRequest weftRequest = canonical(weftBytes);
    assertThat(weftBytes).hasSameSizeAs(sdkBytes);
    assertThat(weftRequest).isEqualTo(canonical(sdkBytes));
    assertThat(weftRequest.getResourceSpansList().stream()
        .mapToInt(ResourceSpans::getScopeSpansCount).sum())
        .isEqualTo(ExportTraceServiceRequest.parseFrom(sdkBytes).getResourceSpansList().stream()
            .mapToInt(ResourceSpans::getScopeSpansCount).sum());
    assertThat(bytes(marshaler)).as("written again (a retry)").isEqualTo(weftBytes);
  }

  @Test
  void oneGroupIsByteForByteTheSdks() throws IOException {
    List<SpanData> batch = varied(origin(RESOURCE_A, SCOPE_1, "worker-1"), 0);
    NativeTraceRequestMarshaler weft = new NativeTraceRequestMarshaler();
    assertThat(bytes(weft.initialize(batch))).isEqualTo(sdkBytes(batch));
    assertEquivalent(weft, batch);
  }

  @Test
  void everyShapeAcrossResourcesAndScopesParsesToTheSdksMessage() throws IOException {
    List<SpanData> a1 = varied(origin(RESOURCE_A, SCOPE_1, "worker-1"), 0);
    List<SpanData> a2 = varied(origin(RESOURCE_A2, SCOPE_2, "wörker-2"), 100);
    List<SpanData> b1 = varied(origin(RESOURCE_B, SCOPE_1, null), 200);
    List<SpanData> b2 = varied(origin(RESOURCE_B, SCOPE_2, ""), 300);
    List<SpanData> batch = new ArrayList<>();
    for (int i = 0; i < a1.size(); i++) { // interleaved: groups are not runs
      batch.add(a1.get(i));
      batch.add(b2.get(i));
      batch.add(a2.get(i));
      batch.add(b1.get(i));
    }
    assertDecoderShapes(batch);
    NativeTraceRequestMarshaler weft = new NativeTraceRequestMarshaler();
    assertEquivalent(weft, batch);
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(bytes(weft));
    assertThat(request.getResourceSpansCount()).isEqualTo(3); // A, A2 (equal to A), B
    assertThat(request.getResourceSpansList().stream().mapToInt(ResourceSpans::getScopeSpansCount))
        .containsExactly(1, 2, 1); // first-seen order: A, B (two scopes), A2
  }

  /** What the encoding relies on, and what the batches above cover. */
  private static void assertDecoderShapes(List<SpanData> batch) {
    boolean tail = false;
    boolean remote = false;
    boolean local = false;
    boolean eventAttrs = false;
    boolean droppedEvents = false;
    boolean statusMessage = false;
    for (SpanData span : batch) {
      assertThat(NativeFields.isNative(span.getAttributes())).isTrue();
      tail |= NativeFields.tailIdentity(span.getAttributes()) != null;
      if (span.getParentSpanContext().isValid()) {
        remote |= span.getParentSpanContext().isRemote();
        local |= !span.getParentSpanContext().isRemote();
      }
      for (EventData event : span.getEvents()) {
        assertThat(NativeFields.isNative(event.getAttributes())).isTrue();
        eventAttrs |= !event.getAttributes().isEmpty();
      }
      droppedEvents |= span.getTotalRecordedEvents() > span.getEvents().size();
      statusMessage |= !span.getStatus().getDescription().isEmpty();
    }
    assertThat(List.of(tail, remote, local, eventAttrs, droppedEvents, statusMessage))
        .containsOnly(true);
  }

  @Test
  void reusedAcrossBatchesWithCachesWarm() throws IOException {
    NativeTraceRequestMarshaler weft = new NativeTraceRequestMarshaler();
    SpanDecoder.Origin origin = origin(RESOURCE_A, SCOPE_1, "worker-1");
    assertEquivalent(weft, varied(origin, 0));
    weft.reset();
    assertEquivalent(weft, varied(origin, 50).subList(0, 5));
    origin.setThreadName("renamed"); // a new tail: cached separately from the old one
    assertEquivalent(weft, varied(origin, 500));
    weft.reset();
    assertThat(weft.getBinarySerializedSize()).isZero();
    assertEquivalent(weft, List.of());
  }

  @Test
  void moreThreadsThanTheCacheHolds() throws IOException {
    NativeTraceRequestMarshaler weft = new NativeTraceRequestMarshaler();
    List<SpanData> batch = new ArrayList<>();
    for (int t = 0; t < NativeTraceRequestMarshaler.CACHE_LIMIT + 10; t++) {
      SpanDecoder.Origin origin = origin(RESOURCE_A, SCOPE_1, "thread-" + t);
      batch.add(decode(origin, SpanRecordBuilder.span().name("s").kind(1).spanId(t + 1L)
          .tid(t + 1).start(T0).end(T0 + 1).attr("i", (long) t)));
    }
    assertEquivalent(weft, batch);
  }

  @Test
  void aBatchWithJvmSpansIsTheSdksWhole() throws IOException {
    List<SpanData> batch = new ArrayList<>(varied(origin(RESOURCE_A, SCOPE_1, "w"), 0));
    batch.add(TestSpanData.builder().setName("jvm").setKind(SpanKind.SERVER)
        .setStartEpochNanos(T0).setEndEpochNanos(T0 + 5).setHasEnded(true)
        .setStatus(StatusData.ok()).setTotalRecordedEvents(0).setTotalRecordedLinks(0)
        .setResource(RESOURCE_B).build());
    NativeTraceRequestMarshaler weft = new NativeTraceRequestMarshaler();
    Marshaler marshaler = weft.initialize(batch);
    assertThat(marshaler).isInstanceOf(TraceRequestMarshaler.class);
    assertThat(canonical(bytes(marshaler))).isEqualTo(canonical(sdkBytes(batch)));
    assertThat(weft.getBinarySerializedSize()).isZero();
  }

  @Test
  void aSpanFromAnotherDecoderIsRejectedByTheAccessors() {
    SpanData jvm = TestSpanData.builder().setName("jvm").setKind(SpanKind.SERVER)
        .setStartEpochNanos(T0).setEndEpochNanos(T0 + 5).setHasEnded(true)
        .setStatus(StatusData.ok()).setTotalRecordedEvents(0).setTotalRecordedLinks(0).build();
    assertThatThrownBy(() -> NativeFields.spanId(jvm)).isInstanceOf(ClassCastException.class);
    assertThat(NativeFields.isNative(Attributes.empty())).isFalse();
  }
}
