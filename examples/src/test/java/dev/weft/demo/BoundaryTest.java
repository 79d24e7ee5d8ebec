package dev.weft.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.NativeScope;
import dev.weft.Weft;
import dev.weft.internal.jni.AttachCell;
import dev.weft.internal.jni.Boundary;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boundary crossing of {@code Weft.enterNative()}: the way it takes (by default the thread's
 * attach cell, plain stores and no call; critical FFM downcalls with {@code -Dweft.boundary=ffm}
 * on JDK 22+ with native access, JNI otherwise), and a scope nested inside a scope of the same
 * JVM span (a stitched native method inside a hand-written scope) sharing the context the outer
 * scope attached instead of pushing a copy. Native spans under cell scopes, and a span left open
 * in one, are checked end to end in {@link StitchingEndToEndTest} and in C (test_jvm_cell).
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
  void scopesGoThroughTheThreadsCellByDefault() throws Exception {
    Assumptions.assumeTrue(System.getProperty(Boundary.PROPERTY) == null,
        "-D" + Boundary.PROPERTY + " chooses " + Boundary.mode());
    Span span = jvmSpan();
    try (Scope s = span.makeCurrent(); NativeScope first = Weft.enterNative()) {
      assertThat(first.isAttached()).as("%s", Weft.diagnose().summary()).isTrue();
    } finally {
      span.end();
    }
    assertThat(Boundary.mode()).startsWith("cell (the default");
    AttachCell cell = Boundary.cell();
    assertThat(cell).as("after the first attach, this platform thread has a cell").isNotNull();
    Span next = jvmSpan();
    try (Scope s = next.makeCurrent(); NativeScope scope = Weft.enterNative()) {
      assertThat(scope.isAttached()).isTrue();
      assertThat(cell.enter(1, 2, 3, 1)).as("one scope at a time: a nested one takes JNI")
          .isZero();
      assertThat(nativeParent().getSpanId()).as("the cell's context is the current one")
          .isEqualTo(next.getSpanContext().getSpanId());
    } finally {
      next.end();
    }
    assertThat(nativeParent().isValid()).as("closed and detached").isFalse();

    // another thread has a cell of its own
    AtomicReference<AttachCell> other = new AtomicReference<>();
    Thread t = new Thread(() -> other.set(Boundary.cell()));
    t.start();
    t.join();
    assertThat(other.get()).isNotNull().isNotSameAs(cell);
  }

  @Test
  void aThreadReusesItsScopeObjectAndAnUntracedCallGetsTheSharedNoOp() {
    Assumptions.assumeTrue(System.getProperty(Boundary.PROPERTY) == null,
        "-D" + Boundary.PROPERTY + " chooses " + Boundary.mode());
    NativeScope none = Weft.enterNative();
    assertThat(none.isAttached()).as("no current span").isFalse();
    assertThat(Weft.enterNative()).as("nothing allocated without a span").isSameAs(none);
    none.close();
    Span span = jvmSpan();
    try (Scope s = span.makeCurrent()) {
      Weft.enterNative().close(); // the first attach, through JNI: the cell from now on
      NativeScope first = Weft.enterNative();
      assertThat(first.isAttached()).as("%s", Weft.diagnose().summary()).isTrue();
      first.close();
      assertThat(first.isAttached()).isFalse();
      first.close(); // twice in a row: harmless
      NativeScope second = Weft.enterNative();
      assertThat(second).as("the thread's own scope object, reopened").isSameAs(first);
      assertThat(second.isAttached()).isTrue();
      try (NativeScope nested = Weft.enterNative()) {
        assertThat(nested).as("a nested scope is its own (through JNI)").isNotSameAs(second);
        assertThat(nested.isAttached()).isTrue();
      }
      assertThat(nativeParent().getSpanId()).as("the nested close keeps the outer context")
          .isEqualTo(span.getSpanContext().getSpanId());
      first.close(); // as documented: closing the object again closes the reopened scope
      assertThat(second.isAttached()).isFalse();
      assertThat(nativeParent().isValid()).as("detached").isFalse();
    } finally {
      span.end();
    }
  }

  @Test
  void aCellScopeClosedOnAnotherThreadLeavesTheThreadUsable() throws Exception {
    Assumptions.assumeTrue(System.getProperty(Boundary.PROPERTY) == null,
        "-D" + Boundary.PROPERTY + " chooses " + Boundary.mode());
    Span span = jvmSpan();
    NativeScope scope;
    try (Scope s = span.makeCurrent()) {
      Weft.enterNative().close(); // the first attach, through JNI
      scope = Weft.enterNative();
    }
    Thread t = new Thread(scope::close); // wrong: a warning, and nothing written to our cell
    t.start();
    t.join();
    assertThat(nativeParent().getSpanId()).as("still this thread's open scope until its next")
        .isEqualTo(span.getSpanContext().getSpanId());
    scope.close(); // idempotent: closed already (on the wrong thread)
    Span next = jvmSpan();
    try (Scope s = next.makeCurrent(); NativeScope again = Weft.enterNative()) {
      assertThat(again.isAttached()).isTrue();
      assertThat(nativeParent().getSpanId()).as("the next scope closed the stale one first")
          .isEqualTo(next.getSpanContext().getSpanId());
      try (NativeScope nested = Weft.enterNative(Context.root().with(span))) {
        assertThat(nativeParent().getSpanId()).as("nesting still works")
            .isEqualTo(span.getSpanContext().getSpanId());
      }
    } finally {
      next.end();
      span.end();
    }
    assertThat(nativeParent().isValid()).as("nothing left attached on this thread").isFalse();
  }

  @Test
  void virtualThreadsHaveNoCell() throws Exception {
    Assumptions.assumeTrue(Runtime.version().feature() >= 21, "no virtual threads before JDK 21");
    Span span = jvmSpan();
    try (Scope s = span.makeCurrent()) {
      Weft.enterNative().close(); // the first attach, through JNI: cells are in use from now
    }
    AtomicReference<Object> seen = new AtomicReference<>("not run");
    Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
    Thread vt = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("start",
        Runnable.class).invoke(builder, (Runnable) () -> seen.set(Boundary.cell()));
    vt.join();
    assertThat(seen.get()).as("a virtual thread's scope would write into its carrier's TLS")
        .isNull();
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
