package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.nativelib.AgentApp;
import com.example.nativelib.EarlyLoader;
import com.example.nativelib.RegisteredCodec;
import dev.weft.testing.OtlpReceiver;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent in a child JVM ({@code -javaagent:target/weft-agent.jar}) over test JNI libraries
 * bound by symbol lookup and by RegisterNatives, loaded lazily, with no Weft code around the
 * calls: the native spans must be children of the app's Java span, exported over OTLP/gRPC.
 */
class NativeStitchingIT {
  private static final List<String> STITCHED = List.of("sym.encode:1", "sym.scale:3",
      "reg.encode:2", "sym.fail:-", "sym.encode:4");

  @TempDir Path temp;
  private OtlpReceiver receiver;

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = new OtlpReceiver(true).start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }

  private ChildJvm jvm() {
    return new ChildJvm(temp).agent("-javaagent:" + ChildJvm.AGENT_JAR);
  }

  @Test
  void symbolLookupAndRegisterNativesAreStitchedUnderTheJavaSpanByDefault() throws Exception {
    ChildJvm.Result result = jvm().run(AgentApp.class.getName(), "sdk", receiver.endpoint());

    result.assertCallsWorked();
    assertThat(result.get("result.unparented")).isEqualTo("11");
    assertThat(result.output).as("no warning of any kind (JDK 24+: no Unsafe, no native"
        + " access warning)").doesNotContain("WARNING").doesNotContain("[weft-agent]");
    Span parent = awaitJavaParent(result, 7);
    assertStitched(STITCHED, parent);
    assertThat(nativeSpan("sym.encode", 10).getParentSpanId().isEmpty())
        .as("a native call with no current span is not touched: its span is a root").isTrue();
    assertNativeResourceIsTheJvmResource(parent);
  }

  @Test
  void virtualThreadsAreStitchedToo() throws Exception {
    Assumptions.assumeTrue(Runtime.version().feature() >= 21,
        "virtual threads need JDK 21+, this is " + Runtime.version());
    ChildJvm.Result result = jvm().run(AgentApp.class.getName(), "virtual",
        receiver.endpoint());

    result.assertCallsWorked();
    assertThat(result.get("virtual")).isEqualTo("true");
    assertStitched(STITCHED, awaitJavaParent(result, 7));
  }

  @Test
  void theSelectionChoosesTheClassesAndDebugListsThem() throws Exception {
    ChildJvm.Result result = jvm()
        .option("-D" + NativeSelection.PROPERTY + "=com.example.nativelib.*,!"
            + RegisteredCodec.class.getName())
        .option("-Dweft.debug=true")
        .run(AgentApp.class.getName(), "sdk", receiver.endpoint());

    result.assertCallsWorked();
    assertThat(result.lines("[weft-agent] stitching com.example.nativelib.SymbolCodec"))
        .as(result.output).containsExactly(
            "[weft-agent] stitching com.example.nativelib.SymbolCodec: 4 native method(s)");
    assertThat(result.lines("stitching " + RegisteredCodec.class.getName())).as(result.output)
        .isEmpty();
    Span parent = awaitJavaParent(result, 7);
    assertStitched(List.of("sym.encode:1", "sym.scale:3", "sym.fail:-", "sym.encode:4"), parent);
    assertThat(nativeSpan("reg.encode", 2).getParentSpanId().isEmpty())
        .as("an excluded class is not stitched").isTrue();
  }

  @Test
  void theSameSelectionFromTheEnvironment() throws Exception {
    ChildJvm.Result result = jvm()
        .env(NativeSelection.ENV, "!com.example.nativelib.SymbolCodec")
        .run(AgentApp.class.getName(), "sdk", receiver.endpoint());

    result.assertCallsWorked();
    Span parent = awaitJavaParent(result, 7);
    assertStitched(List.of("reg.encode:2"), parent);
    assertThat(nativeSpan("sym.encode", 1).getParentSpanId().isEmpty()).isTrue();
  }

  @Test
  void aFailureInsideWeftDoesNotBreakTheCallAndIsReportedOnce() throws Exception {
    ChildJvm.Result result = jvm().run(AgentApp.class.getName(), "failing");

    result.assertCallsWorked();
    assertThat(result.lines("[weft-agent] WARNING: stitching a native call failed"))
        .as(result.output).hasSize(1);
    assertThat(result.output).contains("injected context failure");
  }

  @Test
  void withoutWeftJavaSdkOnTheClassPathTheCallsWorkAndOneWarningSaysWhy() throws Exception {
    ChildJvm.Result result = jvm().classPath(entry -> !ChildJvm.isWeftJavaSdk(entry))
        .run(AgentApp.class.getName(), "bare");

    result.assertCallsWorked();
    List<String> warnings = result.lines("[weft-agent] WARNING");
    assertThat(warnings).as(result.output).hasSize(1);
    assertThat(warnings.get(0)).contains("dev.weft.Weft is not visible")
        .contains("Add dev.weft:weft-java-sdk");
  }

  @Test
  void aClassLoadedBeforeTheAgentIsNamedInOneWarningAndStillWorks() throws Exception {
    Path early = ChildJvm.manifestOnlyAgent(temp, EarlyLoader.class.getName());
    ChildJvm.Result result = new ChildJvm(temp)
        .agent("-javaagent:" + early + "=" + RegisteredCodec.class.getName())
        .agent("-javaagent:" + ChildJvm.AGENT_JAR)
        .run(AgentApp.class.getName(), "sdk", receiver.endpoint());

    result.assertCallsWorked();
    List<String> warnings = result.lines("[weft-agent] WARNING");
    assertThat(warnings).as(result.output).hasSize(1);
    assertThat(warnings.get(0)).contains("loaded before the Weft agent started")
        .contains("[" + RegisteredCodec.class.getName() + "]")
        .contains("-javaagent:weft-agent.jar first");
    Span parent = awaitJavaParent(result, 7);
    assertStitched(List.of("sym.encode:1", "sym.scale:3", "sym.fail:-", "sym.encode:4"), parent);
    assertThat(nativeSpan("reg.encode", 2).getParentSpanId().isEmpty()).isTrue();
  }

  // ------------------------------------------------------------------ helpers

  private Span awaitJavaParent(ChildJvm.Result result, int spans) {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(receiver.received()).as(result.output).hasSizeGreaterThanOrEqualTo(spans));
    Span parent = receiver.received().stream().map(r -> r.span)
        .filter(s -> s.getName().equals("java.parent")).findFirst().orElseThrow();
    assertThat(hex(parent.getTraceId().toByteArray())).isEqualTo(result.get("trace"));
    assertThat(hex(parent.getSpanId().toByteArray())).isEqualTo(result.get("parent"));
    return parent;
  }

  /** Each "name:x" (x = the "x" attribute, "-" for none) is a native child of {@code parent}. */
  private void assertStitched(List<String> expected, Span parent) {
    List<String> children = new ArrayList<>();
    for (OtlpReceiver.Received r : receiver.received()) {
      if (r.span.getParentSpanId().equals(parent.getSpanId())) {
        assertThat(r.span.getTraceId()).isEqualTo(parent.getTraceId());
        children.add(r.span.getName() + ":" + attribute(r.span, "x"));
      }
    }
    assertThat(children).as(describe()).containsExactlyInAnyOrderElementsOf(expected);
  }

  private Span nativeSpan(String name, long x) {
    return receiver.received().stream().map(r -> r.span)
        .filter(s -> s.getName().equals(name) && attribute(s, "x").equals(Long.toString(x)))
        .findFirst().orElseThrow(() -> new AssertionError("no span " + name + " x=" + x + ": "
            + describe()));
  }

  private void assertNativeResourceIsTheJvmResource(Span parent) {
    OtlpReceiver.Received jvmSpan = receiver.received().stream()
        .filter(r -> r.span.equals(parent)).findFirst().orElseThrow();
    List<KeyValue> jvmResource = sorted(jvmSpan.resource.getAttributesList());
    for (OtlpReceiver.Received r : receiver.received()) {
      assertThat(sorted(r.resource.getAttributesList())).as(r.span.getName())
          .containsExactlyElementsOf(jvmResource);
    }
  }

  private static List<KeyValue> sorted(List<KeyValue> attributes) {
    return attributes.stream().sorted(Comparator.comparing(KeyValue::getKey))
        .collect(Collectors.toList());
  }

  private static String attribute(Span span, String key) {
    return span.getAttributesList().stream().filter(kv -> kv.getKey().equals(key))
        .map(kv -> Long.toString(kv.getValue().getIntValue())).findFirst().orElse("-");
  }

  private String describe() {
    return receiver.received().stream().map(r -> r.span.getName() + "(x=" + attribute(r.span, "x")
        + ", parent=" + hex(r.span.getParentSpanId().toByteArray()) + ")")
        .collect(Collectors.joining(", "));
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
