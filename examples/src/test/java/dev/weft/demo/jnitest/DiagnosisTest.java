package dev.weft.demo.jnitest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way Weft can do nothing says so once, with the fix: each case runs {@link StitchProbe}
 * in a fresh JVM whose java.util.logging output (stderr) is captured, with the check every
 * 100 ms so that it runs many times while the probe waits.
 */
class DiagnosisTest {
  private static final String CHECK = "-Dweft.check.interval=100";

  @TempDir Path shm;

  private static String libraryPath() {
    return "-Djava.library.path=" + ChildJvm.jniTestsDir();
  }

  @Test
  void debugLogsOneSummaryLineAtStart() throws Exception {
    ChildJvm child = ChildJvm.run(shm, Map.of("WEFT_DEBUG", "1"), List.of(libraryPath()),
        "stitch", "lazy");
    assertThat(child.logLines("INFO", "weft: libweft " + ChildJvm.jniTestsDir()))
        .as(child.output).isEqualTo(1);
    ChildJvm quiet = ChildJvm.run(shm, Map.of(), List.of(libraryPath()), "stitch", "lazy");
    assertThat(quiet.logLines("INFO", "weft: libweft ")).as(quiet.output).isZero();
  }

  @Test
  void libweftNotFoundSaysOnceWhereItLookedAndHowToFixIt() throws Exception {
    ChildJvm child = ChildJvm.run(shm, Map.of(), List.of(CHECK, "-Djava.library.path=" + shm,
        "-Dweft.native.bundled=false"),
        "idle", "hidden");
    assertThat(child.logLines("WARNING", "libweft not found")).as(child.output).isEqualTo(1);
    assertThat(child.output).contains("-Dweft.library.path", "WEFT_LIBRARY_PATH",
        "java.library.path (" + shm + ")");
    assertThat(child.diagnosis).as(child.output).contains("  libweft mapped: no")
        .anySatisfy(l -> assertThat(l).startsWith("  PROBLEM: weft: libweft not found"));
  }

  @Test
  void nativeSpansWithNoCollectorAreReportedOnceNamingWeftCollectorAndTheAgent()
      throws Exception {
    ChildJvm child = ChildJvm.run(shm, Map.of(), List.of(CHECK, libraryPath()),
        "no-collector", "lazy");
    assertThat(child.logLines("WARNING", "no WeftCollector runs in this JVM"))
        .as(child.output).isEqualTo(1);
    assertThat(child.output).contains("WeftCollector.builder().build()", "Weft Java agent");
  }

  @Test
  void spansAClosedCollectorDrainedAreNotReportedAsUndrainedButLaterOnesAre() throws Exception {
    ChildJvm child = ChildJvm.run(shm, Map.of(), List.of(CHECK, libraryPath()),
        "closed-collector", "lazy");
    // before: "native code recorded N spans ... but no WeftCollector runs" after every close
    assertThat(child.logLines("WARNING", "no WeftCollector runs in this JVM"))
        .as(child.output).isZero();
    assertThat(child.logLines("WARNING", "after this JVM's WeftCollector closed"))
        .as(child.output).isEqualTo(1);
    String output = child.output;
    assertThat(output.indexOf("after this JVM's WeftCollector closed"))
        .as(output).isGreaterThan(output.indexOf("phase|after-close-call"));
  }

  @Test
  void jvmSpansAttachedButNoNativeSpanIsReportedOnce() throws Exception {
    ChildJvm child = ChildJvm.run(shm, Map.of(), List.of(CHECK, libraryPath()),
        "idle", "hidden");
    assertThat(child.logLines("WARNING", "no native code has begun a span"))
        .as(child.output).isEqualTo(1);
    assertThat(child.output).contains("link it against the shared libweft.so.0");
    assertThat(child.diagnosis).contains(
        "  native side: RUNNING, started by the first span or attach, 0 instrumentation"
            + " scope(s)");
  }

  @Test
  void aCollectorWaitingForASegmentThatDoesNotExistIsReportedOnce() throws Exception {
    Path elsewhere = shm.resolve("not-this-one");
    ChildJvm child = ChildJvm.run(shm, Map.of(), List.of(CHECK, libraryPath()),
        "idle", "none", elsewhere.toString());
    assertThat(child.logLines("WARNING", "waits for the segment " + elsewhere
        + ", which does not exist")).as(child.output).isEqualTo(1);
    assertThat(child.logLines("WARNING", "no native code has recorded a span in this process"
        + " yet")).as(child.output).isEqualTo(1);
    assertThat(child.diagnosis).contains("  native side: NOT_STARTED, 0 instrumentation"
        + " scope(s)");
  }

  @Test
  void aNativeStartThatFailedIsReportedOnceWithTheFix() throws Exception {
    Path missing = shm.resolve("missing");
    ChildJvm child = ChildJvm.run(shm, Map.of("WEFT_SHM_DIR", missing.toString()),
        List.of(CHECK, libraryPath()), "no-collector", "lazy");
    // once by libweft on stderr, once by the JVM side through java.util.logging
    assertThat(child.output.lines().filter(l -> l.startsWith("weft: native spans will not be"
        + " recorded") && l.contains("Fix: point WEFT_SHM_DIR"))).as(child.output).hasSize(1);
    assertThat(child.logLines("WARNING", "Fix: point WEFT_SHM_DIR")).as(child.output)
        .isEqualTo(1);
    assertThat(child.output).contains("attached|jvm.call-0|false");
  }
}
