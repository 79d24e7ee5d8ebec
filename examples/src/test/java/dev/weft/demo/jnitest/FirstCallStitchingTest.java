package dev.weft.demo.jnitest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.demo.jnitest.ChildJvm.PrintedSpan;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JNI libraries as users get them, none calling weft_init, each loaded inside the first
 * Weft.enterNative() by its class's static initialiser: the first call's native spans are
 * children of the JVM span (one trace), with no retry window and no orphan. Each case is a
 * fresh JVM.
 */
class FirstCallStitchingTest {
  @TempDir Path shm;

  private ChildJvm stitch(String library, String... jvmOptions) throws Exception {
    return ChildJvm.run(shm, Map.of(), List.of(jvmOptions), "stitch", library);
  }

  private static void assertStitched(ChildJvm child, String nativeName, String scope) {
    for (int call = 0; call < 2; call++) {
      List<PrintedSpan> jvm = child.jvm("jvm.call-" + call);
      assertThat(jvm).as(child.output).hasSize(1);
      PrintedSpan parent = jvm.get(0);
      List<PrintedSpan> work = child.nativeSpans(nativeName).stream()
          .filter(s -> s.traceId.equals(parent.traceId)).collect(java.util.stream.Collectors.toList());
      assertThat(work).as("call %d: %s", call, child.output).hasSize(1);
      assertThat(work.get(0).parentSpanId).as(child.output).isEqualTo(parent.spanId);
      assertThat(work.get(0).scope).isEqualTo(scope);
      assertThat(child.nativeSpans("stage").stream()
          .filter(s -> s.parentSpanId.equals(work.get(0).spanId))).hasSize(2);
    }
    assertThat(child.nativeSpans(nativeName)).hasSize(2); // no orphan root trace
    assertThat(child.output).contains("attached|jvm.call-0|true");
  }

  @Test
  void hiddenJniOnLoadLibraryIsStitchedFromItsFirstCall() throws Exception {
    ChildJvm child = stitch("hidden", "-Djava.library.path=" + ChildJvm.jniTestsDir());
    assertStitched(child, "hidden.work", "hiddenonload");
    assertThat(child.output).doesNotContain("JNI_OnLoad ran");
  }

  @Test
  void registerNativesLibraryIsStitchedFromItsFirstCall() throws Exception {
    ChildJvm child = stitch("registered", "-Djava.library.path=" + ChildJvm.jniTestsDir());
    assertStitched(child, "registered.work", "registered");
  }

  @Test
  void lazilyLoadedLibraryIsStitchedFromItsFirstCallWithTheLibraryPathProperty()
      throws Exception {
    ChildJvm child = stitch("lazy",
        "-Dweft.library.path=" + ChildJvm.jniTestsDir().resolve("libweft.so.0"));
    assertStitched(child, "lazy.work", "lazyloaded");
    assertThat(child.diagnosis).as(child.output)
        .contains("  native side: RUNNING, started by the first span or attach, 1 instrumentation"
            + " scope(s)")
        .contains("  problems: none")
        .anySatisfy(l -> assertThat(l).startsWith("  segment: " + shm).contains(", LIVE, "))
        .anySatisfy(l -> assertThat(l).startsWith("  collector on " + shm)
            .contains("(attached)").contains("committed=6"));
  }

  @Test
  void lazilyLoadedLibraryIsStitchedFromItsFirstCallWithLibweftOnJavaLibraryPath()
      throws Exception {
    ChildJvm child = stitch("lazy", "-Djava.library.path=" + ChildJvm.jniTestsDir());
    assertStitched(child, "lazy.work", "lazyloaded");
  }

  @Test
  void lazilyLoadedLibraryIsStitchedFromItsFirstCallWithTheBundledLibweft() throws Exception {
    // Nothing configured: the JVM loads the copy weft-java-sdk carries before the first call, and
    // the library loaded inside that call resolves its DT_NEEDED libweft.so.0 to it.
    ChildJvm child = stitch("lazy");
    assertStitched(child, "lazy.work", "lazyloaded");
    assertThat(child.output).doesNotContain("libweft not found");
  }

  @Test
  void whenLibweftIsOnlyFoundThroughTheLibraryTheFirstCallIsReportedAndTheSecondStitched()
      throws Exception {
    // No property, nothing on java.library.path and the bundled copy turned off: the JVM cannot
    // find libweft before the library (which pulls it in through its RUNPATH) is loaded inside
    // the first call.
    ChildJvm child = stitch("lazy", "-Dweft.native.bundled=false");
    assertThat(child.logLines("WARNING", "libweft not found")).as(child.output).isEqualTo(1);
    assertThat(child.output).contains("attached|jvm.call-0|false");
    assertThat(child.output).contains("attached|jvm.call-1|true");
    PrintedSpan second = child.jvm("jvm.call-1").get(0);
    assertThat(child.nativeSpans("lazy.work")).as(child.output)
        .anySatisfy(s -> assertThat(s.parentSpanId).isEqualTo(second.spanId));
    assertThat(child.logLines("INFO", "after 1 native call(s) that could not join")).isEqualTo(1);
  }
}
