package dev.weft.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A running {@code weft-loadgen --wait} (c-sdk/tools/weft_loadgen.c): real native code recording
 * spans in its own process into a segment of a test's directory. It prints {@code segment PATH}
 * once the segment exists (read by {@link Builder#start}), {@code done N} once its threads ended
 * N spans ({@link #awaitDone}), and exits when its stdin is closed ({@link #close}).
 */
public final class Loadgen implements AutoCloseable {
  private final Process process;
  private final BufferedReader stdout;
  private final Path segment;

  private Loadgen(Process process) throws IOException {
    this.process = process;
    this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8));
    String first = stdout.readLine();
    assertThat(first).startsWith("segment ");
    this.segment = Path.of(first.substring("segment ".length()));
  }

  /**
   * The weft-loadgen of the c-sdk build (system property {@code weft.native.build.dir}, default
   * c-sdk/target/cmake); skips the test, saying how to build it, if it is not there.
   */
  public static Path assumeBuilt() {
    String buildDir = System.getProperty("weft.native.build.dir", "c-sdk/target/cmake");
    Path binary = Path.of(buildDir, "tools", "weft-loadgen");
    Assumptions.assumeTrue(Files.isExecutable(binary),
        "weft-loadgen not found at " + binary + ": build c-sdk first (the full build"
            + " `mvn verify` builds it, or `mvn -pl c-sdk,java-sdk/core verify`)");
    return binary;
  }

  /** A weft-loadgen whose segment is in {@code dir} (WEFT_SHM_DIR). */
  public static Builder in(Path dir) {
    return new Builder(dir);
  }

  /** What to run: threads, spans per thread, ring size, rate and segment name. */
  public static final class Builder {
    private final Path dir;
    private int threads = 1;
    private int spans = 1;
    private int ringSize;
    private int rate;
    private String name;

    private Builder(Path dir) {
      this.dir = dir;
    }

    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Spans per thread. */
    public Builder spans(int spans) {
      this.spans = spans;
      return this;
    }

    /** Bytes per ring (--ring-size); 0, the default: the C SDK's default rings. */
    public Builder ringSize(int bytes) {
      this.ringSize = bytes;
      return this;
    }

    /** Spans per second over all threads (--rate); 0, the default: as fast as it can. */
    public Builder rate(int spansPerSecond) {
      this.rate = spansPerSecond;
      return this;
    }

    /** The segment's file name (WEFT_SHM_NAME); null, the default: the C SDK's weft-PID. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** Starts it and waits for its segment to exist. */
    public Loadgen start() throws IOException {
      List<String> command = new ArrayList<>(List.of(assumeBuilt().toString(), "--threads",
          Integer.toString(threads), "--spans", Integer.toString(spans)));
      if (ringSize > 0) {
        command.addAll(List.of("--ring-size", Integer.toString(ringSize)));
      }
      if (rate > 0) {
        command.addAll(List.of("--rate", Integer.toString(rate)));
      }
      command.add("--wait");
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().put("WEFT_SHM_DIR", dir.toString());
      pb.environment().remove("WEFT_RING_SIZE"); // the default rings unless --ring-size
      if (name != null) {
        pb.environment().put("WEFT_SHM_NAME", name);
      } else {
        pb.environment().remove("WEFT_SHM_NAME");
      }
      pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      Process process = pb.start();
      try {
        return new Loadgen(process);
      } catch (IOException | RuntimeException | AssertionError e) {
        process.destroyForcibly();
        throw e;
      }
    }
  }

  public Process process() {
    return process;
  }

  /** The segment it records into. */
  public Path segment() {
    return segment;
  }

  /** Waits for its threads to finish; returns the spans they ended. */
  public long awaitDone() throws IOException {
    String line = stdout.readLine();
    assertThat(line).startsWith("done ");
    return Long.parseLong(line.substring("done ".length()));
  }

  /** Lets it exit (closes its stdin) and checks that it exits, with status 0, within 30 s. */
  @Override
  public void close() throws IOException {
    process.getOutputStream().close();
    boolean exited;
    try {
      exited = process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException(e);
    }
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("weft-loadgen exits once its stdin is closed").isTrue();
    assertThat(process.exitValue()).isZero();
  }
}
