package dev.weft.it.harness;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A server process started by a test (Collector, Jaeger, demo), with stdout and stderr in one log
 * file. {@link #close()} sends SIGTERM, waits, then kills it and its descendants. A JVM shutdown
 * hook stops whatever is still running, and each process runs under coreutils {@code timeout}
 * (when present) so that it cannot outlive a killed test JVM for long.
 */
public final class ManagedProcess implements AutoCloseable {
  private static final Set<ManagedProcess> running = ConcurrentHashMap.newKeySet();
  private static final Path TIMEOUT = Path.of("/usr/bin/timeout");

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (ManagedProcess p : running) {
        p.stop(Duration.ofSeconds(5));
      }
    }, "weft-it-process-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path log;

  private ManagedProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code command} with {@code env} added to this JVM's environment, output to {@code
   * log}; it is terminated after {@code maxLifetime} at the latest.
   */
  public static ManagedProcess start(String name, List<String> command, Map<String, String> env,
      Path log, Duration maxLifetime) {
    List<String> argv = new ArrayList<>();
    if (Files.isExecutable(TIMEOUT)) {
      argv.addAll(List.of(TIMEOUT.toString(), "-s", "TERM", "-k", "10",
          Long.toString(maxLifetime.toSeconds())));
    }
    argv.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(argv).directory(Repo.root().toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    try {
      Files.writeString(log, "", StandardCharsets.UTF_8);
      ManagedProcess p = new ManagedProcess(name, pb.start(), log);
      running.add(p);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Polls {@code url} until it answers 200; fails at once if the process exits. */
  public void awaitHttpOk(URI url, Duration timeout) {
    try {
      await(name + " ready at " + url).atMost(timeout).pollInterval(Duration.ofMillis(100))
          .failFast(name + " exited during start-up", () -> !process.isAlive())
          .ignoreExceptions()
          .until(() -> Http.get(url).status() == 200);
    } catch (org.awaitility.core.ConditionTimeoutException
        | org.awaitility.core.TerminalFailureException e) {
      String state = process.isAlive() ? "still running" : "exited with code " + process.exitValue();
      throw new AssertionError(name + " not ready within " + timeout + " at " + url + " ("
          + state + "); last lines of " + log + ":\n" + tail(40), e);
    }
  }

  /** The last {@code lines} lines of the log. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** SIGTERM, wait up to {@code grace}, then SIGKILL (the process and its descendants). */
  public void stop(Duration grace) {
    try {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          System.err.println("[weft-it] " + name + " did not stop within " + grace + "; killing it");
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
      // Under `timeout`, the server is a child: make sure nothing is left behind.
      process.descendants().forEach(ProcessHandle::destroyForcibly);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    } finally {
      running.remove(this);
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }
}
