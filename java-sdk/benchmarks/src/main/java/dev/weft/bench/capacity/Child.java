package dev.weft.bench.capacity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A child process spoken to by lines on its standard input and output; stderr goes to a file. */
final class Child implements AutoCloseable {
  private static final String EOF = "\u0000eof";
  private final String name;
  private final Process process;
  private final Writer in;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

  Child(String name, List<String> command, Map<String, String> env, Path stderr)
      throws IOException {
    this.name = name;
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
    builder.environment().putAll(env);
    this.process = builder.start();
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process ended
      }
      lines.add(EOF);
    }, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  long pid() {
    return process.pid();
  }

  void send(String command) throws IOException {
    in.write(command + "\n");
    in.flush();
  }

  /** The next line that starts with {@code prefix} (others are skipped), within the timeout. */
  String expect(String prefix, double timeoutSeconds) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
    while (true) {
      String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new IOException(name + ": no '" + prefix + "' line within " + timeoutSeconds + " s");
      }
      if (line == EOF) {
        lines.add(EOF);
        throw new IOException(name + " ended (exit " + waitExit(5) + ") before printing '"
            + prefix + "'; see its stderr log");
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  /** Like {@link #expect} but null when no such line came within the timeout. */
  String poll(String prefix, double timeoutSeconds) throws IOException, InterruptedException {
    try {
      return expect(prefix, timeoutSeconds);
    } catch (IOException e) {
      if (e.getMessage().contains("within")) {
        return null;
      }
      throw e;
    }
  }

  String ask(String command, String prefix, double timeoutSeconds)
      throws IOException, InterruptedException {
    send(command);
    return expect(prefix, timeoutSeconds);
  }

  private int waitExit(int seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }

  /** {@code key=value} pairs of a line. */
  static Map<String, String> fields(String line) {
    Map<String, String> map = new HashMap<>();
    for (String part : line.split(" ")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        map.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return map;
  }

  static long longField(String line, String key) {
    String v = fields(line).get(key);
    if (v == null) {
      throw new IllegalStateException("no " + key + "= in: " + line);
    }
    return Long.parseLong(v);
  }

  /** Closes standard input (the children exit at end of input), then waits, then kills. */
  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
