package dev.weft.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 item 2 with the producer inside the JVM (JNI, this process's own libweft): SIGTERM
 * while Java threads record native spans without pause. The exit fences recording, so every span
 * committed before the fence is exported exactly once, every one ended after it is counted as
 * dropped (shutdown), and the segment is removed.
 */
class SigtermWhileRecordingTest {
  private static final Pattern SPAN_ID = Pattern.compile("\"spanId\":\"([0-9a-f]{16})\"");

  @TempDir Path temp;

  @Test
  void sigtermWhileNativeCodeRecordsLosesNothingUncountedAndLeavesNoSegment() throws Exception {
    Path spans = temp.resolve("spans.jsonl");
    Path shm = Files.createDirectory(temp.resolve("shm"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-D" + NativeCodec.LIBRARY_PROPERTY + "=" + NativeCodec.libraryPath());
    command.add(RecordUntilTerminated.class.getName());
    command.add(spans.toString());
    Path log = temp.resolve("child.log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().remove("WEFT_LIBRARY_PATH");
    pb.environment().put("WEFT_SHM_DIR", shm.toString());
    Process child = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.readString(log).contains("recording\n") && child.isAlive()
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(1500);
    child.destroy(); // SIGTERM
    boolean ended = child.waitFor(60, TimeUnit.SECONDS);
    String output = Files.readString(log);
    assertThat(ended).as(output).isTrue();
    Map<String, Long> counters = new HashMap<>();
    for (String line : output.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && line.substring(eq + 1).matches("\\d+")) {
        counters.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
      }
    }
    assertThat(counters).as(output).containsKeys("committed", "droppedShutdown");

    List<String> ids = new ArrayList<>();
    Matcher m = SPAN_ID.matcher(Files.exists(spans) ? Files.readString(spans) : "");
    while (m.find()) {
      ids.add(m.group(1));
    }
    Set<String> unique = new HashSet<>(ids);
    System.out.println("SigtermWhileRecordingTest: " + counters + ", exported " + ids.size()
        + " (" + unique.size() + " distinct)");
    assertThat(counters.get("committed")).as("spans committed before the fence").isPositive();
    assertThat(counters.get("exportFailures")).isZero();
    assertThat(counters.get("corrupt")).isZero();
    assertThat(unique.size()).as("distinct spans exported = committed; %s", counters)
        .isEqualTo(counters.get("committed").intValue());
    assertThat(ids).as("no span exported twice").hasSameSizeAs(unique);
    try (Stream<Path> left = Files.list(shm)) {
      assertThat(left).as("segment removed at exit").isEmpty();
    }
  }
}
