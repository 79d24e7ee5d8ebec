package dev.weft.demo.jnitest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Runs {@link StitchProbe} in a fresh JVM and parses what it prints. */
final class ChildJvm {
  /** One exported span as the probe printed it. */
  static final class PrintedSpan {
    final boolean nativeSpan;
    final String name;
    final String traceId;
    final String spanId;
    final String parentSpanId;
    final String scope;

    PrintedSpan(String[] f) {
      nativeSpan = f[1].equals("native");
      name = f[2];
      traceId = f[3];
      spanId = f[4];
      parentSpanId = f[5];
      scope = f[6];
    }

    @Override
    public String toString() {
      return (nativeSpan ? "native " : "jvm ") + name + " " + traceId + "/" + spanId + " <- "
          + parentSpanId + " (" + scope + ")";
    }
  }

  final String output;
  final List<PrintedSpan> spans = new ArrayList<>();
  final List<String> diagnosis = new ArrayList<>();

  private ChildJvm(String output) {
    this.output = output;
    for (String line : output.split("\n")) {
      if (line.startsWith("span|")) {
        spans.add(new PrintedSpan(line.split("\\|", -1)));
      } else if (line.startsWith("diag|")) {
        diagnosis.add(line.substring(5));
      }
    }
  }

  static Path jniTestsDir() {
    return Path.of(System.getProperty("weft.jnitests.dir", "target/jni-tests")).toAbsolutePath();
  }

  /** Runs the probe with {@code jvmOptions} and extra environment; it must exit 0. */
  static ChildJvm run(Path shmDir, Map<String, String> env, List<String> jvmOptions,
      String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Dweft.jnitests.dir=" + jniTestsDir());
    if (Runtime.version().feature() >= 22) {
      command.add("--enable-native-access=ALL-UNNAMED"); // JNI's System.load, without a warning
    }
    command.addAll(jvmOptions);
    command.add(StitchProbe.class.getName());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("WEFT_LIBRARY_PATH");
    pb.environment().remove("WEFT_DEBUG");
    pb.environment().remove("LD_LIBRARY_PATH");
    pb.environment().put("WEFT_SHM_DIR", shmDir.toString());
    pb.environment().put("OTEL_TRACES_EXPORTER", "none");
    pb.environment().put("OTEL_METRICS_EXPORTER", "none");
    pb.environment().put("OTEL_LOGS_EXPORTER", "none");
    pb.environment().putAll(env);
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(output).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).as("no JDK warnings").doesNotContain("WARNING: A restricted method",
        "WARNING: sun.misc.Unsafe");
    return new ChildJvm(output);
  }

  List<PrintedSpan> jvm(String name) {
    return spans.stream().filter(s -> !s.nativeSpan && s.name.equals(name))
        .collect(Collectors.toList());
  }

  List<PrintedSpan> nativeSpans(String name) {
    return spans.stream().filter(s -> s.nativeSpan && s.name.equals(name))
        .collect(Collectors.toList());
  }

  /** Log records (java.util.logging's SimpleFormatter: "LEVEL: message") containing {@code text}. */
  long logLines(String level, String text) {
    return output.lines().filter(l -> l.startsWith(level + ": ") && l.contains(text)).count();
  }
}
