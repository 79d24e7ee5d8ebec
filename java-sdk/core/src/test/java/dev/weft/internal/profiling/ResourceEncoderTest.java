package dev.weft.internal.profiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Resource of the process context, byte for byte as OTLP's protobuf encodes it. */
class ResourceEncoderTest {
  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Test
  void aStringAttribute() {
    // Resource { attributes: KeyValue { key: "a", value: AnyValue { string_value: "b" } } }
    assertThat(ResourceEncoder.encode(Resource.create(Attributes.of(AttributeKey.stringKey("a"),
        "b")))).containsExactly(bytes(0x0a, 0x08, 0x0a, 0x01, 'a', 0x12, 0x03, 0x0a, 0x01, 'b'));
  }

  @Test
  void boolLongDoubleAndArrayValues() {
    assertThat(ResourceEncoder.encode(Resource.create(Attributes.of(AttributeKey.booleanKey("t"),
        true)))).containsExactly(bytes(0x0a, 0x07, 0x0a, 0x01, 't', 0x12, 0x02, 0x10, 0x01));
    assertThat(ResourceEncoder.encode(Resource.create(Attributes.of(AttributeKey.longKey("n"),
        300L)))).containsExactly(bytes(0x0a, 0x08, 0x0a, 0x01, 'n', 0x12, 0x03, 0x18, 0xac, 0x02));
    assertThat(ResourceEncoder.encode(Resource.create(Attributes.of(AttributeKey.doubleKey("d"),
        1.5)))).containsExactly(bytes(0x0a, 0x0e, 0x0a, 0x01, 'd', 0x12, 0x09, 0x21, 0, 0, 0, 0, 0,
            0, 0xf8, 0x3f));
    assertThat(ResourceEncoder.encode(Resource.create(Attributes.of(
        AttributeKey.stringArrayKey("s"), List.of("x"))))).containsExactly(bytes(0x0a, 0x0c, 0x0a,
            0x01, 's', 0x12, 0x07, 0x2a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 'x'));
  }

  @Test
  void anEmptyResourceIsEmpty() {
    assertThat(ResourceEncoder.encode(Resource.empty())).isEmpty();
  }
}
