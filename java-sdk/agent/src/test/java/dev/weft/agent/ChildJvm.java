package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Runs a class of the test app in a child JVM with the agent jar, and reads what it printed. */
final class ChildJvm {
  static final Path AGENT_JAR = Path.of(property("weft.agent.jar"));
  static final Path NATIVE_DIR = Path.of(property("weft.agent.test.native.dir"));

  private final List<String> agents = new ArrayList<>();
  private final List<String> options = new ArrayList<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private Predicate<String> classPathFilter = entry -> true;

  ChildJvm(Path shmDir) {
    env.put("WEFT_SHM_DIR", shmDir.toString());
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new IllegalStateException("-D" + name + " is not set (run the tests with Maven)");
    }
    return value;
  }

  ChildJvm agent(String javaagentOption) {
    agents.add(javaagentOption);
    return this;
  }

  ChildJvm option(String option) {
    options.add(option);
    return this;
  }

  ChildJvm env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Keeps only the class path entries {@code keep} accepts. */
  ChildJvm classPath(Predicate<String> keep) {
    classPathFilter = keep;
    return this;
  }

  /**
   * The test's class path without the agent's own classes, the unshaded ByteBuddy and the
   * OpenTelemetry-agent extension (provided dependencies, which an application does not have).
   */
  private String classPath() {
    List<String> kept = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry).toAbsolutePath().normalize();
      String s = p.toString();
      if (s.contains("byte-buddy") || s.endsWith("weft-agent.jar")
          || s.contains("weft-agent-otel-extension") || s.contains("agent-otel-extension")
          || p.equals(AGENT_JAR.getParent().resolve("classes"))
          || s.contains("surefire") || s.contains("failsafe")) {
        continue;
      }
      if (classPathFilter.test(s)) {
        kept.add(s);
      }
    }
    return String.join(File.pathSeparator, kept);
  }

  /** Whether a class path entry is weft-java-sdk's main classes (not its test jar). */
  static boolean isWeftJavaSdk(String entry) {
    String name = Path.of(entry).getFileName().toString();
    return entry.endsWith("core" + File.separator + "target" + File.separator + "classes")
        || (name.startsWith("weft-java-sdk-") && !name.endsWith("-tests.jar"));
  }

  Result run(String mainClass, String... args) throws IOException, InterruptedException {
    Result result = runUnder(List.of(), mainClass, args);
    assertThat(result.exitValue).as("exit value; output:\n" + result.output).isZero();
    return result;
  }

  /**
   * Runs the child JVM as the last arguments of {@code prefix} (e.g. a reader that starts and
   * samples it), and returns whatever it exited with.
   */
  Result runUnder(List<String> prefix, String mainClass, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String o : System.getProperty("weft.child.jvm.options", "").split(" ")) {
      if (!o.isBlank()) {
        command.add(o);
      }
    }
    command.addAll(agents);
    command.add("-Dweft.agent.test.native.dir=" + NATIVE_DIR);
    // These tests check what is exported, not how fast: a cold JVM on a loaded CI machine can
    // need more than the 1 s default to export at exit (the timeout's own behaviour is tested
    // in weft-java-sdk); a test's own option comes later and wins.
    command.add("-Dweft.collector.close.timeout=30s");
    command.addAll(options);
    command.add("-cp");
    command.add(classPath());
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("WEFT_LIBRARY_PATH");
    pb.environment().remove("WEFT_INSTRUMENT_NATIVE");
    pb.environment().remove("WEFT_DEBUG");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    pb.environment().putAll(env);
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(300, TimeUnit.SECONDS)).as(output).isTrue();
    return new Result(output, process.exitValue());
  }

  /** A jar with only a manifest naming {@code premainClass} (found on the class path). */
  static Path manifestOnlyAgent(Path dir, String premainClass) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Premain-Class", premainClass);
    Path jar = dir.resolve("early-agent.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      out.flush();
    }
    return jar;
  }

  static final class Result {
    final String output;
    final int exitValue;
    final Map<String, String> values = new LinkedHashMap<>();

    Result(String output, int exitValue) {
      this.output = output;
      this.exitValue = exitValue;
      for (String line : output.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith("[") && !line.contains(" ")) {
          values.put(line.substring(0, eq), line.substring(eq + 1).trim());
        }
      }
    }

    String get(String key) {
      assertThat(values).as(output).containsKey(key);
      return values.get(key);
    }

    /** The lines that contain {@code text}. */
    List<String> lines(String text) {
      List<String> found = new ArrayList<>();
      for (String line : output.split("\n")) {
        if (line.contains(text)) {
          found.add(line);
        }
      }
      return found;
    }

    /** The app's results (the native calls' return values) are right. */
    void assertCallsWorked() {
      assertThat(get("result.encode")).as(output).isEqualTo("2");
      assertThat(get("result.scale")).as(output).isEqualTo("8");
      assertThat(get("result.reg")).as(output).isEqualTo("102");
      assertThat(get("result.fail")).as(output).isEqualTo("boom");
      assertThat(get("result.after")).as(output).isEqualTo("5");
      assertThat(get("done")).isEqualTo("true");
    }
  }
}
