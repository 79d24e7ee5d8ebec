package dev.weft.demo.testing;

import dev.weft.testing.OtlpReceiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One received trace, by span name (names are unique within a demo request). */
public final class Traces {
  private final List<OtlpReceiver.Received> spans;
  private final Map<String, OtlpReceiver.Received> byName = new HashMap<>();
  private final Map<ByteString, OtlpReceiver.Received> byId = new HashMap<>();

  public Traces(List<OtlpReceiver.Received> spans) {
    this.spans = spans;
    for (OtlpReceiver.Received r : spans) {
      assertThat(byName.put(r.span.getName(), r)).as("duplicate span %s", r.span.getName())
          .isNull();
      byId.put(r.span.getSpanId(), r);
    }
  }

  /** The spans of the receiver whose trace id is {@code traceIdHex}. */
  public static List<OtlpReceiver.Received> ofTrace(OtlpReceiver receiver, String traceIdHex) {
    List<OtlpReceiver.Received> out = new ArrayList<>();
    for (OtlpReceiver.Received r : receiver.received()) {
      if (hex(r.span.getTraceId()).equals(traceIdHex)) {
        out.add(r);
      }
    }
    return out;
  }

  public List<OtlpReceiver.Received> all() {
    return spans;
  }

  public Span span(String name) {
    OtlpReceiver.Received r = byName.get(name);
    assertThat(r).as("span %s in %s", name, byName.keySet()).isNotNull();
    return r.span;
  }

  public OtlpReceiver.Received received(String name) {
    span(name);
    return byName.get(name);
  }

  /** The name of the span's parent within this trace, or null for a root. */
  public String parentName(String name) {
    Span span = span(name);
    if (span.getParentSpanId().isEmpty()) {
      return null;
    }
    OtlpReceiver.Received parent = byId.get(span.getParentSpanId());
    assertThat(parent).as("parent of %s is in the trace", name).isNotNull();
    return parent.span.getName();
  }

  public static Map<String, AnyValue> attributes(Span span) {
    Map<String, AnyValue> out = new HashMap<>();
    for (KeyValue kv : span.getAttributesList()) {
      out.put(kv.getKey(), kv.getValue());
    }
    return out;
  }

  public static String hex(ByteString bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes.toByteArray()) {
      sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }
}
