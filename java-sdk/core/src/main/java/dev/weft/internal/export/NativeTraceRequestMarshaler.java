package dev.weft.internal.export;

import dev.weft.internal.decode.NativeFields;
import dev.weft.internal.decode.NativeSpans;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.internal.InternalAttributeKeyImpl;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.exporter.internal.marshal.CodedOutputStream;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.marshal.MarshalerContext;
import io.opentelemetry.exporter.internal.marshal.MarshalerUtil;
import io.opentelemetry.exporter.internal.marshal.ProtoEnumInfo;
import io.opentelemetry.exporter.internal.marshal.ProtoFieldInfo;
import io.opentelemetry.exporter.internal.marshal.Serializer;
import io.opentelemetry.exporter.internal.marshal.StatelessMarshaler;
import io.opentelemetry.exporter.internal.marshal.StatelessMarshaler2;
import io.opentelemetry.exporter.internal.marshal.StringEncoder;
import io.opentelemetry.exporter.internal.otlp.InstrumentationScopeMarshaler;
import io.opentelemetry.exporter.internal.otlp.KeyValueMarshaler;
import io.opentelemetry.exporter.internal.otlp.ResourceMarshaler;
import io.opentelemetry.exporter.internal.otlp.traces.SpanFlags;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.internal.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.internal.AnyValue;
import io.opentelemetry.proto.common.v1.internal.KeyValue;
import io.opentelemetry.proto.trace.v1.internal.ResourceSpans;
import io.opentelemetry.proto.trace.v1.internal.ScopeSpans;
import io.opentelemetry.proto.trace.v1.internal.Span;
import io.opentelemetry.proto.trace.v1.internal.Status;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import javax.annotation.Nullable;

/**
 * An OTLP {@code ExportTraceServiceRequest} written straight from decoded native spans, for the
 * SDK's gRPC sender: the same message as the SDK's {@link TraceRequestMarshaler} (grouped by
 * resource, then scope, each by identity as the SDK's {@code MarshalerUtil.groupByResourceAndScope}
 * does; groups in first-seen order where the SDK's follow an IdentityHashMap; fields in the SDK's
 * order), without a marshaler object per span, per
 * attribute or per event, without hex id strings (ids are written from the record's longs), and
 * with the per-thread attribute tail (thread.id, thread.name) encoded once per thread.
 *
 * <p>Sizes are computed once, in {@link #initialize}, into the SDK's {@link MarshalerContext}
 * size queue (its stateless-marshaler design) and read back in the same order by {@link
 * #writeTo}, which can run more than once (a retried export writes the message again).
 *
 * <p>Reusable, not thread-safe: {@link #initialize} a batch, write it, {@link #reset}; the
 * resource, scope and tail caches survive {@code reset}. A batch with any span that is not a
 * decoded native span (a JVM span) is handed whole to the SDK's marshaler: {@code initialize}
 * returns that one instead of this. Binary protobuf only: the cached tail bytes have no JSON form,
 * so {@code writeJsonTo} of this marshaler is not supported. A span's attributes are read from the
 * span through {@link NativeFields} (own values, int64 and double ones unboxed, then the shared
 * tail), so that its {@code Attributes} view and parent context are never built; every event's
 * attributes are the decoder's own {@code NativeAttributes} (pairs plus a tail); scalar values
 * only: the encoding relies on that (NativeTraceRequestMarshalerTest checks it).
 */
final class NativeTraceRequestMarshaler extends Marshaler {
  /** OTLP span kinds by {@code SpanKind.ordinal()}. */
  private static final ProtoEnumInfo[] KINDS = {
      Span.SpanKind.SPAN_KIND_INTERNAL, Span.SpanKind.SPAN_KIND_SERVER,
      Span.SpanKind.SPAN_KIND_CLIENT, Span.SpanKind.SPAN_KIND_PRODUCER,
      Span.SpanKind.SPAN_KIND_CONSUMER};
  /** Entries a cache may hold before it is emptied (resources, scopes, thread tails). */
  static final int CACHE_LIMIT = 1024;
  private static final byte[] EMPTY = new byte[0];

  private final StringEncoder encoder = StringEncoder.getInstance();
  private final MarshalerContext context = new MarshalerContext(true, encoder);
  private final byte[] idBuffer = new byte[16];

  private final Map<Resource, ResourceMarshaler> resourceCache = new HashMap<>();
  private final Map<InstrumentationScopeInfo, InstrumentationScopeMarshaler> scopeCache =
      new HashMap<>();
  /** Tail identity -> its pairs encoded as repeated {@code Span.attributes} fields. */
  private final Map<Object, byte[]> tailCache = new IdentityHashMap<>();

  // The batch: spans chained by group (resource + scope) in batch order.
  private SpanData[] spans = new SpanData[0];
  private int[] next = new int[0];
  private int groups;
  private Resource[] groupResource = new Resource[4];
  private InstrumentationScopeInfo[] groupScope = new InstrumentationScopeInfo[4];
  private int[] groupOfResource = new int[4];
  private int[] groupHead = new int[4];
  private int[] groupLast = new int[4];
  private int[] groupSize = new int[4];
  private int resources;
  private Resource[] resourceOf = new Resource[4];
  private int[] resourceSize = new int[4];
  private int size;

  private final AttributeValueWriter valueWriter = new AttributeValueWriter();
  private final OwnValueWriter ownValueWriter = new OwnValueWriter(valueWriter);
  private final StatusWriter statusWriter = new StatusWriter();

  /**
   * Prepares {@code batch} for writing and returns the marshaler to send: this one if every span
   * is a decoded native span, else the SDK's {@link TraceRequestMarshaler} for the whole batch
   * (this one then stays reset).
   */
  Marshaler initialize(Collection<SpanData> batch) {
    reset();
    for (SpanData span : batch) {
      if (!NativeSpans.isNative(span)) {
        return TraceRequestMarshaler.create(batch);
      }
    }
    int count = batch.size();
    if (spans.length < count) {
      spans = new SpanData[count];
      next = new int[count];
    }
    int i = 0;
    int last = -1;
    for (SpanData span : batch) {
      spans[i] = span;
      next[i] = -1;
      Resource resource = span.getResource();
      InstrumentationScopeInfo scope = span.getInstrumentationScopeInfo();
      int g = last >= 0 && groupResource[last] == resource && groupScope[last] == scope
          ? last : group(resource, scope);
      if (groupHead[g] < 0) {
        groupHead[g] = i;
      } else {
        next[groupLast[g]] = i;
      }
      groupLast[g] = i;
      last = g;
      i++;
    }
    size = computeSize();
    return this;
  }

  /** Forgets the batch (keeps the caches). */
  void reset() {
    Arrays.fill(spans, null);
    Arrays.fill(groupResource, 0, groups, null);
    Arrays.fill(groupScope, 0, groups, null);
    Arrays.fill(resourceOf, 0, resources, null);
    groups = 0;
    resources = 0;
    size = 0;
    context.reset();
  }

  /** The group of (resource, scope), added if new: by identity, as the SDK's grouping is. */
  private int group(Resource resource, InstrumentationScopeInfo scope) {
    int r = -1;
    for (int g = 0; g < groups; g++) {
      if (groupResource[g] == resource) {
        r = groupOfResource[g];
        if (groupScope[g] == scope) {
          return g;
        }
      }
    }
    if (r < 0) {
      if (resources == resourceOf.length) {
        resourceOf = Arrays.copyOf(resourceOf, 2 * resources);
        resourceSize = Arrays.copyOf(resourceSize, 2 * resources);
      }
      resourceOf[resources] = resource;
      r = resources++;
    }
    if (groups == groupResource.length) {
      int n = 2 * groups;
      groupResource = Arrays.copyOf(groupResource, n);
      groupScope = Arrays.copyOf(groupScope, n);
      groupOfResource = Arrays.copyOf(groupOfResource, n);
      groupHead = Arrays.copyOf(groupHead, n);
      groupLast = Arrays.copyOf(groupLast, n);
      groupSize = Arrays.copyOf(groupSize, n);
    }
    groupResource[groups] = resource;
    groupScope[groups] = scope;
    groupOfResource[groups] = r;
    groupHead[groups] = -1;
    return groups++;
  }

  @Override
  public int getBinarySerializedSize() {
    return size;
  }

  // Sizing: every size the writer needs is queued here in the order writeTo reads it back.

  private int computeSize() {
    int total = 0;
    for (int r = 0; r < resources; r++) {
      Resource resource = resourceOf[r];
      int rs = MarshalerUtil.sizeMessage(ResourceSpans.RESOURCE, resourceMarshaler(resource));
      for (int g = 0; g < groups; g++) {
        if (groupOfResource[g] != r) {
          continue;
        }
        InstrumentationScopeInfo scope = groupScope[g];
        int gs = MarshalerUtil.sizeMessage(ScopeSpans.SCOPE, scopeMarshaler(scope));
        for (int i = groupHead[g]; i >= 0; i = next[i]) {
          int slot = context.addSize();
          int ss = sizeSpan(spans[i]);
          context.setSize(slot, ss);
          gs += sizeLength(ScopeSpans.SPANS, ss);
        }
        gs += MarshalerUtil.sizeBytes(ScopeSpans.SCHEMA_URL, schemaUrl(scope.getSchemaUrl()));
        groupSize[g] = gs;
        rs += sizeLength(ResourceSpans.SCOPE_SPANS, gs);
      }
      rs += MarshalerUtil.sizeBytes(ResourceSpans.SCHEMA_URL, schemaUrl(resource.getSchemaUrl()));
      resourceSize[r] = rs;
      total += sizeLength(ExportTraceServiceRequest.RESOURCE_SPANS, rs);
    }
    return total;
  }

  private int sizeSpan(SpanData span) {
    int size = sizeLength(Span.TRACE_ID, 16) + sizeLength(Span.SPAN_ID, 8);
    if (NativeFields.parentSpanId(span) != 0) {
      size += sizeLength(Span.PARENT_SPAN_ID, 8);
    }
    size += sizeString(Span.NAME, span.getName());
    size += MarshalerUtil.sizeEnum(Span.KIND, KINDS[span.getKind().ordinal()]);
    size += MarshalerUtil.sizeFixed64(Span.START_TIME_UNIX_NANO, span.getStartEpochNanos());
    size += MarshalerUtil.sizeFixed64(Span.END_TIME_UNIX_NANO, span.getEndEpochNanos());
    size += sizeSpanAttributes(span);
    size += MarshalerUtil.sizeUInt32(Span.DROPPED_ATTRIBUTES_COUNT,
        span.getTotalAttributeCount() - NativeFields.attributeCount(span));
    List<EventData> events = span.getEvents();
    for (int e = 0; e < events.size(); e++) {
      int slot = context.addSize();
      int es = sizeEvent(events.get(e));
      context.setSize(slot, es);
      size += sizeLength(Span.EVENTS, es);
    }
    size += MarshalerUtil.sizeUInt32(Span.DROPPED_EVENTS_COUNT,
        span.getTotalRecordedEvents() - events.size());
    // Native spans have no links (getLinks() is empty and getTotalRecordedLinks() 0).
    int slot = context.addSize();
    int status = statusWriter.getBinarySerializedSize(span.getStatus(), context);
    context.setSize(slot, status);
    size += sizeLength(Span.STATUS, status);
    size += MarshalerUtil.sizeFixed32(Span.FLAGS, flags(span));
    return size;
  }

  private int sizeEvent(EventData event) {
    int size = MarshalerUtil.sizeFixed64(Span.Event.TIME_UNIX_NANO, event.getEpochNanos());
    size += sizeString(Span.Event.NAME, event.getName());
    Attributes attributes = event.getAttributes();
    size += sizeAttributes(Span.Event.ATTRIBUTES, attributes);
    size += MarshalerUtil.sizeUInt32(Span.Event.DROPPED_ATTRIBUTES_COUNT,
        event.getTotalAttributeCount() - attributes.size());
    return size;
  }

  /** A string field written from a String, its UTF-8 length queued; nothing for "". */
  private int sizeString(ProtoFieldInfo field, String value) {
    if (value.isEmpty()) {
      return 0;
    }
    int length = encoder.getUtf8Size(value);
    context.addSize(length);
    return sizeLength(field, length);
  }

  /**
   * Repeated {@code Span.attributes}: the span's own pairs (read from the span, int64 and double
   * values unboxed, so that its Attributes view is never made), then its thread's tail as cached
   * bytes.
   */
  private int sizeSpanAttributes(SpanData span) {
    int own = NativeFields.ownPairs(span);
    boolean hasTail = NativeFields.tailIdentity(span) != null;
    if (own == 0 && !hasTail) {
      return 0;
    }
    int size = 0;
    for (int i = 0; i < own; i++) {
      size += sizeOwnKeyValue(span, i);
    }
    if (!hasTail) {
      return size;
    }
    // Queued for writeTo, which must not encode (a nested serializer on this thread would
    // share the SDK's thread-local output buffer) and may run after the cache was emptied.
    byte[] tailBytes = tailBytes(span);
    context.addData(tailBytes);
    return size + tailBytes.length;
  }

  /** Repeated KeyValue {@code field}s (an event's): the own pairs, then the tail's. */
  private int sizeAttributes(ProtoFieldInfo field, Attributes attributes) {
    if (attributes.isEmpty()) {
      return 0;
    }
    int size = 0;
    int own = NativeFields.ownPairs(attributes);
    for (int i = 0; i < own; i++) {
      size += sizeKeyValue(field, NativeFields.ownKey(attributes, i),
          NativeFields.ownValue(attributes, i));
    }
    if (NativeFields.tailIdentity(attributes) == null) {
      return size;
    }
    int tail = NativeFields.tailPairs(attributes);
    for (int i = 0; i < tail; i++) {
      size += sizeKeyValue(field, NativeFields.tailKey(attributes, i),
          NativeFields.tailValue(attributes, i));
    }
    return size;
  }

  /** One KeyValue element: queues its size, then its AnyValue's size, then what that needs. */
  private int sizeKeyValue(ProtoFieldInfo field, AttributeKey<?> key, Object value) {
    int slot = context.addSize();
    int kv = MarshalerUtil.sizeBytes(KeyValue.KEY, keyUtf8(key));
    int anySlot = context.addSize();
    int any = valueWriter.getBinarySerializedSize(key, value, context);
    context.setSize(anySlot, any);
    kv += sizeLength(KeyValue.VALUE, any);
    context.setSize(slot, kv);
    return sizeLength(field, kv);
  }

  /** {@link #sizeKeyValue} for the span's own attribute {@code i}, read unboxed. */
  private int sizeOwnKeyValue(SpanData span, int i) {
    AttributeKey<?> key = NativeFields.ownKey(span, i);
    int slot = context.addSize();
    int kv = MarshalerUtil.sizeBytes(KeyValue.KEY, keyUtf8(key));
    int anySlot = context.addSize();
    ownValueWriter.index = i;
    int any = ownValueWriter.getBinarySerializedSize(span, key, context);
    context.setSize(anySlot, any);
    kv += sizeLength(KeyValue.VALUE, any);
    context.setSize(slot, kv);
    return sizeLength(Span.ATTRIBUTES, kv);
  }

  // Writing: reads the queued sizes back in order.

  @Override
  protected void writeTo(Serializer output) throws IOException {
    context.resetReadIndex();
    output.writeStartRepeated(ExportTraceServiceRequest.RESOURCE_SPANS);
    for (int r = 0; r < resources; r++) {
      Resource resource = resourceOf[r];
      output.writeStartRepeatedElement(ExportTraceServiceRequest.RESOURCE_SPANS, resourceSize[r]);
      output.serializeMessage(ResourceSpans.RESOURCE, resourceMarshaler(resource));
      output.writeStartRepeated(ResourceSpans.SCOPE_SPANS);
      for (int g = 0; g < groups; g++) {
        if (groupOfResource[g] != r) {
          continue;
        }
        InstrumentationScopeInfo scope = groupScope[g];
        output.writeStartRepeatedElement(ResourceSpans.SCOPE_SPANS, groupSize[g]);
        output.serializeMessage(ScopeSpans.SCOPE, scopeMarshaler(scope));
        output.writeStartRepeated(ScopeSpans.SPANS);
        for (int i = groupHead[g]; i >= 0; i = next[i]) {
          output.writeStartRepeatedElement(ScopeSpans.SPANS, context.getSize());
          writeSpan(output, spans[i]);
          output.writeEndRepeatedElement();
        }
        output.writeEndRepeated();
        output.serializeString(ScopeSpans.SCHEMA_URL, schemaUrl(scope.getSchemaUrl()));
        output.writeEndRepeatedElement();
      }
      output.writeEndRepeated();
      output.serializeString(ResourceSpans.SCHEMA_URL, schemaUrl(resource.getSchemaUrl()));
      output.writeEndRepeatedElement();
    }
    output.writeEndRepeated();
  }

  private void writeSpan(Serializer output, SpanData span) throws IOException {
    byte[] id = idBuffer;
    putLong(id, 0, NativeFields.traceIdHigh(span));
    putLong(id, 8, NativeFields.traceIdLow(span));
    output.writeBytes(Span.TRACE_ID, id);
    output.writeBytes(Span.SPAN_ID, spanId(NativeFields.spanId(span)));
    // Trace state: always the default (empty) one for native spans.
    long parent = NativeFields.parentSpanId(span);
    if (parent != 0) {
      output.writeBytes(Span.PARENT_SPAN_ID, spanId(parent));
    }
    writeString(output, Span.NAME, span.getName());
    output.serializeEnum(Span.KIND, KINDS[span.getKind().ordinal()]);
    output.serializeFixed64(Span.START_TIME_UNIX_NANO, span.getStartEpochNanos());
    output.serializeFixed64(Span.END_TIME_UNIX_NANO, span.getEndEpochNanos());
    writeSpanAttributes(output, span);
    output.serializeUInt32(Span.DROPPED_ATTRIBUTES_COUNT,
        span.getTotalAttributeCount() - NativeFields.attributeCount(span));
    List<EventData> events = span.getEvents();
    if (!events.isEmpty()) {
      output.writeStartRepeated(Span.EVENTS);
      for (int e = 0; e < events.size(); e++) {
        output.writeStartRepeatedElement(Span.EVENTS, context.getSize());
        writeEvent(output, events.get(e));
        output.writeEndRepeatedElement();
      }
      output.writeEndRepeated();
    }
    output.serializeUInt32(Span.DROPPED_EVENTS_COUNT,
        span.getTotalRecordedEvents() - events.size());
    output.serializeMessageWithContext(Span.STATUS, span.getStatus(), statusWriter, context);
    output.serializeFixed32(Span.FLAGS, flags(span));
  }

  private void writeEvent(Serializer output, EventData event) throws IOException {
    output.serializeFixed64(Span.Event.TIME_UNIX_NANO, event.getEpochNanos());
    writeString(output, Span.Event.NAME, event.getName());
    Attributes attributes = event.getAttributes();
    writeAttributes(output, Span.Event.ATTRIBUTES, attributes);
    output.serializeUInt32(Span.Event.DROPPED_ATTRIBUTES_COUNT,
        event.getTotalAttributeCount() - attributes.size());
  }

  private void writeString(Serializer output, ProtoFieldInfo field, String value)
      throws IOException {
    if (!value.isEmpty()) {
      output.writeString(field, value, context.getSize(), context);
    }
  }

  private void writeSpanAttributes(Serializer output, SpanData span) throws IOException {
    int own = NativeFields.ownPairs(span);
    boolean hasTail = NativeFields.tailIdentity(span) != null;
    if (own == 0 && !hasTail) {
      return;
    }
    output.writeStartRepeated(Span.ATTRIBUTES);
    for (int i = 0; i < own; i++) {
      AttributeKey<?> key = NativeFields.ownKey(span, i);
      output.writeStartRepeatedElement(Span.ATTRIBUTES, context.getSize());
      output.serializeString(KeyValue.KEY, keyUtf8(key));
      ownValueWriter.index = i;
      output.serializeMessageWithContext(KeyValue.VALUE, span, key, ownValueWriter, context);
      output.writeEndRepeatedElement();
    }
    if (hasTail) {
      output.writeSerializedMessage(context.getData(byte[].class), "");
    }
    output.writeEndRepeated();
  }

  private void writeAttributes(Serializer output, ProtoFieldInfo field, Attributes attributes)
      throws IOException {
    if (attributes.isEmpty()) {
      return;
    }
    output.writeStartRepeated(field);
    int own = NativeFields.ownPairs(attributes);
    for (int i = 0; i < own; i++) {
      writeKeyValue(output, field, NativeFields.ownKey(attributes, i),
          NativeFields.ownValue(attributes, i));
    }
    int tail = NativeFields.tailIdentity(attributes) == null ? 0
        : NativeFields.tailPairs(attributes);
    for (int i = 0; i < tail; i++) {
      writeKeyValue(output, field, NativeFields.tailKey(attributes, i),
          NativeFields.tailValue(attributes, i));
    }
    output.writeEndRepeated();
  }

  private void writeKeyValue(Serializer output, ProtoFieldInfo field, AttributeKey<?> key, Object value)
      throws IOException {
    output.writeStartRepeatedElement(field, context.getSize());
    output.serializeString(KeyValue.KEY, keyUtf8(key));
    output.serializeMessageWithContext(KeyValue.VALUE, key, value, valueWriter, context);
    output.writeEndRepeatedElement();
  }

  // Caches.

  private ResourceMarshaler resourceMarshaler(Resource resource) {
    ResourceMarshaler marshaler = resourceCache.get(resource);
    if (marshaler == null) {
      if (resourceCache.size() >= CACHE_LIMIT) {
        resourceCache.clear();
      }
      marshaler = ResourceMarshaler.create(resource);
      resourceCache.put(resource, marshaler);
    }
    return marshaler;
  }

  private InstrumentationScopeMarshaler scopeMarshaler(InstrumentationScopeInfo scope) {
    InstrumentationScopeMarshaler marshaler = scopeCache.get(scope);
    if (marshaler == null) {
      if (scopeCache.size() >= CACHE_LIMIT) {
        scopeCache.clear();
      }
      marshaler = InstrumentationScopeMarshaler.create(scope);
      scopeCache.put(scope, marshaler);
    }
    return marshaler;
  }

  /** The span's tail pairs as the SDK encodes them (repeated {@code Span.attributes}), once. */
  private byte[] tailBytes(SpanData span) {
    Object identity = NativeFields.tailIdentity(span);
    byte[] bytes = tailCache.get(identity);
    if (bytes == null) {
      if (tailCache.size() >= CACHE_LIMIT) {
        tailCache.clear();
      }
      bytes = encodeTail(span);
      tailCache.put(identity, bytes);
    }
    return bytes;
  }

  private static byte[] encodeTail(SpanData span) {
    Map<AttributeKey<?>, Object> pairs = new LinkedHashMap<>();
    for (int i = 0; i < NativeFields.tailPairs(span); i++) {
      pairs.put(NativeFields.tailKey(span, i), NativeFields.tailValue(span, i));
    }
    KeyValueMarshaler[] marshalers = KeyValueMarshaler.createForAttributes(new PairView(pairs));
    Marshaler repeated = new Marshaler() {
      @Override
      public int getBinarySerializedSize() {
        return MarshalerUtil.sizeRepeatedMessage(Span.ATTRIBUTES, marshalers);
      }

      @Override
      protected void writeTo(Serializer output) throws IOException {
        output.serializeRepeatedMessage(Span.ATTRIBUTES, marshalers);
      }
    };
    ByteArrayOutputStream out = new ByteArrayOutputStream(repeated.getBinarySerializedSize());
    try {
      repeated.writeBinaryTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return out.toByteArray();
  }

  private static byte[] schemaUrl(@Nullable String url) {
    return url == null || url.isEmpty() ? EMPTY : MarshalerUtil.toBytes(url);
  }

  private static byte[] keyUtf8(AttributeKey<?> key) {
    if (key instanceof InternalAttributeKeyImpl) {
      return ((InternalAttributeKeyImpl<?>) key).getKeyUtf8();
    }
    return key.getKey().isEmpty() ? EMPTY : MarshalerUtil.toBytes(key.getKey());
  }

  private static int flags(SpanData span) {
    return SpanFlags.withParentIsRemoteFlags(span.getSpanContext().getTraceFlags(),
        NativeFields.parentIsRemote(span));
  }

  private byte[] spanId(long id) {
    byte[] buffer = context.getSpanIdBuffer();
    putLong(buffer, 0, id);
    return buffer;
  }

  static int sizeLength(ProtoFieldInfo field, int length) {
    return field.getTagSize() + CodedOutputStream.computeUInt32SizeNoTag(length) + length;
  }

  private static void putLong(byte[] target, int offset, long value) {
    for (int i = 7; i >= 0; i--) {
      target[offset + i] = (byte) value;
      value >>>= 8;
    }
  }

  /**
   * The AnyValue of one attribute, as the SDK writes it (the oneof field always present). Only
   * the four scalar types: the decoder produces no arrays (its ABI has no array items).
   */
  private static final class AttributeValueWriter
      implements StatelessMarshaler2<AttributeKey<?>, Object> {
    @Override
    public int getBinarySerializedSize(AttributeKey<?> key, Object value,
        MarshalerContext context) {
      switch (key.getType()) {
        case STRING: {
          int length = context.getStringEncoder().getUtf8Size((String) value);
          context.addSize(length);
          return sizeLength(AnyValue.STRING_VALUE, length);
        }
        case BOOLEAN:
          return AnyValue.BOOL_VALUE.getTagSize() + 1;
        case LONG:
          return AnyValue.INT_VALUE.getTagSize()
              + CodedOutputStream.computeInt64SizeNoTag((Long) value);
        case DOUBLE:
          return AnyValue.DOUBLE_VALUE.getTagSize() + 8;
        default:
          throw new IllegalArgumentException("not a decoded attribute type: " + key.getType());
      }
    }

    @Override
    public void writeTo(Serializer output, AttributeKey<?> key, Object value,
        MarshalerContext context) throws IOException {
      switch (key.getType()) {
        case STRING:
          output.writeString(AnyValue.STRING_VALUE, (String) value, context.getSize(), context);
          return;
        case BOOLEAN:
          output.writeBool(AnyValue.BOOL_VALUE, (Boolean) value);
          return;
        case LONG:
          output.writeInt64(AnyValue.INT_VALUE, (Long) value);
          return;
        default:
          output.writeDouble(AnyValue.DOUBLE_VALUE, (Double) value);
      }
    }
  }

  /**
   * The AnyValue of a span's own attribute {@link #index} (set before each use), read from the
   * span: int64 and double values unboxed, the others as {@link AttributeValueWriter} writes them.
   * The same bytes as that writer's for the boxed value.
   */
  private static final class OwnValueWriter
      implements StatelessMarshaler2<SpanData, AttributeKey<?>> {
    private final AttributeValueWriter values;
    int index;

    OwnValueWriter(AttributeValueWriter values) {
      this.values = values;
    }

    @Override
    public int getBinarySerializedSize(SpanData span, AttributeKey<?> key,
        MarshalerContext context) {
      switch (key.getType()) {
        case LONG:
          return AnyValue.INT_VALUE.getTagSize()
              + CodedOutputStream.computeInt64SizeNoTag(NativeFields.ownLong(span, index));
        case DOUBLE:
          return AnyValue.DOUBLE_VALUE.getTagSize() + 8;
        default:
          return values.getBinarySerializedSize(key, NativeFields.ownValue(span, index), context);
      }
    }

    @Override
    public void writeTo(Serializer output, SpanData span, AttributeKey<?> key,
        MarshalerContext context) throws IOException {
      switch (key.getType()) {
        case LONG:
          output.writeInt64(AnyValue.INT_VALUE, NativeFields.ownLong(span, index));
          return;
        case DOUBLE:
          output.writeDouble(AnyValue.DOUBLE_VALUE, NativeFields.ownDouble(span, index));
          return;
        default:
          values.writeTo(output, key, NativeFields.ownValue(span, index), context);
      }
    }
  }

  /** A span Status: message (UTF-8 length queued), then code, as the SDK writes them. */
  private static final class StatusWriter implements StatelessMarshaler<StatusData> {
    @Override
    public int getBinarySerializedSize(StatusData status, MarshalerContext context) {
      String message = status.getDescription();
      int size = 0;
      if (!message.isEmpty()) {
        int length = context.getStringEncoder().getUtf8Size(message);
        context.addSize(length);
        size += sizeLength(Status.MESSAGE, length);
      }
      return size + MarshalerUtil.sizeEnum(Status.CODE, code(status.getStatusCode()));
    }

    @Override
    public void writeTo(Serializer output, StatusData status, MarshalerContext context)
        throws IOException {
      String message = status.getDescription();
      if (!message.isEmpty()) {
        output.writeString(Status.MESSAGE, message, context.getSize(), context);
      }
      output.serializeEnum(Status.CODE, code(status.getStatusCode()));
    }

    private static ProtoEnumInfo code(StatusCode code) {
      switch (code) {
        case OK:
          return Status.StatusCode.STATUS_CODE_OK;
        case ERROR:
          return Status.StatusCode.STATUS_CODE_ERROR;
        default:
          return Status.StatusCode.STATUS_CODE_UNSET;
      }
    }
  }

  /** Pairs in a fixed order as {@link Attributes}, to hand a thread's tail to the SDK encoder. */
  private static final class PairView implements Attributes {
    private final Map<AttributeKey<?>, Object> pairs;

    PairView(Map<AttributeKey<?>, Object> pairs) {
      this.pairs = pairs;
    }

    @Override
    @Nullable
    @SuppressWarnings("unchecked")
    public <T> T get(AttributeKey<T> key) {
      return (T) pairs.get(key);
    }

    @Override
    public void forEach(BiConsumer<? super AttributeKey<?>, ? super Object> consumer) {
      pairs.forEach(consumer);
    }

    @Override
    public int size() {
      return pairs.size();
    }

    @Override
    public boolean isEmpty() {
      return pairs.isEmpty();
    }

    @Override
    public Map<AttributeKey<?>, Object> asMap() {
      return Collections.unmodifiableMap(pairs);
    }

    @Override
    public AttributesBuilder toBuilder() {
      return Attributes.builder().putAll(this);
    }
  }
}
