package dev.weft.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.NativeScope;
import dev.weft.Weft;
import dev.weft.internal.jni.Boundary;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boundary crossing of {@code Weft.enterNative()}: the transition it takes (critical FFM
 * downcalls on JDK 22+ with native access, JNI otherwise), and a scope nested inside a scope of
 * the same JVM span (a stitched native method inside a hand-written scope) sharing the context
 * the outer scope attached instead of pushing a copy.
 */
@SuppressWarnings("try") // scopes that are only closed
class BoundaryTest {
  static long next = 0x1000;

  /** A valid, sampled JVM span (what the SDK's current span looks like to Weft). */
  static Span jvmSpan() {
    next++;
    return Span.wrap(SpanContext.create(String.format("%032x", next * 31), String.format("%016x",
        next), TraceFlags.getSampled(), TraceState.getDefault()));
  }

  @BeforeAll
  static void load() {
    NativeCodec.load();
    Weft.load();
  }

  static SpanContext nativeParent() {
    return Weft.nativeSpanContext();
  }

  @Test
  void nestedScopesOfOneSpanShareItsContext() {
    Span span = jvmSpan();
    try (Scope s = span.makeCurrent()) {
      try (NativeScope outer = Weft.enterNative()) {
        assertThat(outer.isAttached()).as("%s", Weft.diagnose().summary()).isTrue();
        assertThat(nativeParent().getSpanId()).isEqualTo(span.getSpanContext().getSpanId());
        try (NativeScope inner = Weft.enterNative()) {
          assertThat(inner.isAttached()).isTrue();
          assertThat(nativeParent().getSpanId()).isEqualTo(span.getSpanContext().getSpanId());
        }
        assertThat(nativeParent().getSpanId()).as("the inner close keeps the outer's context")
            .isEqualTo(span.getSpanContext().getSpanId());
        Span child = jvmSpan();
        try (Scope c = child.makeCurrent(); NativeScope other = Weft.enterNative()) {
          assertThat(nativeParent().getSpanId()).isEqualTo(child.getSpanContext().getSpanId());
        } finally {
          child.end();
        }
        assertThat(nativeParent().getSpanId()).isEqualTo(span.getSpanContext().getSpanId());
      }
      assertThat(nativeParent().isValid()).as("all detached").isFalse();
    } finally {
      span.end();
    }
  }

  @Test
  void theTransitionIsCriticalFfmWhereTheJvmAllowsIt() {
    Span span = jvmSpan();
    try (Scope s = span.makeCurrent(); NativeScope scope = Weft.enterNative()) {
      assertThat(scope.isAttached()).isTrue();
    } finally {
      span.end();
    }
    boolean nativeAccess = Runtime.version().feature() >= 22
        && ManagementFactoryArgs.has("--enable-native-access");
    Assumptions.assumeTrue("ffm".equals(System.getProperty(Boundary.PROPERTY)),
        "critical FFM downcalls are opt-in (-D" + Boundary.PROPERTY + "=ffm); this JVM stitches"
        + " through " + Boundary.mode());
    Assumptions.assumeTrue(nativeAccess, "critical FFM downcalls need JDK 22+ with native access"
        + " enabled; this JVM is " + Runtime.version() + ", stitching through " + Boundary.mode());
    assertThat(Boundary.mode()).isEqualTo("ffm-critical");
  }

  /** The JVM's own options (the test JVM's native-access setting). */
  static final class ManagementFactoryArgs {
    static boolean has(String prefix) {
      return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
          .stream().anyMatch(a -> a.startsWith(prefix));
    }
  }
}
