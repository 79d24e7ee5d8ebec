package dev.weft.bench.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI's smoke run of the capacity benchmark: one short trial per subject at a low rate. It checks
 * that the benchmark runs end to end (processes start, spans arrive and are counted), not how
 * fast anything is: no timing limit here (docs/benchmarks.md has the measured numbers).
 */
class CapacityBenchmarkSmokeTest {
  @TempDir Path logs;

  @Test
  void everySubjectRunsOneShortTrial() throws Exception {
    Path loadgen = Path.of(System.getProperty("weft.native.build.dir", "c-sdk/target/cmake"),
        "tools", "weft-loadgen");
    Assumptions.assumeTrue(Files.isExecutable(loadgen),
        "weft-loadgen not found at " + loadgen + ": build c-sdk first (mvn verify does)");
    CapacityBenchmark.Options options = CapacityBenchmark.parse(new String[] {
        "--window", "2", "--start", "5000", "--min", "5000", "--max-trials", "1",
        "--settle", "10", "--loadgen", loadgen.toString(), "--log-dir", logs.toString()});
    // surefire runs the tests from a manifest-only jar: the children need the real class path
    String testClassPath = System.getProperty("surefire.test.class.path");
    if (testClassPath != null) {
      options.classPath = testClassPath;
    }
    List<CapacityBenchmark.Result> results = CapacityBenchmark.run(options);
    assertThat(results).extracting(CapacityBenchmark.Result::subject)
        .containsExactly("weft", "sdk-default", "sdk-tuned");
    for (CapacityBenchmark.Result r : results) {
      assertThat(r.trials()).hasSize(1);
      CapacityBenchmark.Trial t = r.trials().get(0);
      // spans were produced and counted by the receiver in another JVM
      assertThat(t.offered()).as(t.line()).isEqualTo(10_000);
      assertThat(t.received()).as(t.line()).isPositive();
    }
  }
}
