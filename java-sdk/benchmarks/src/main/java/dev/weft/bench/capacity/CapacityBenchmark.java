package dev.weft.bench.capacity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The sustained-capacity benchmark (docs/benchmarks.md, "Sustained capacity"). For each subject
 * it bisects the highest offered rate that is held for a whole window with 0 drops:
 *
 * <ul>
 *   <li>{@code weft} (or {@code weft:<ring size>}, e.g. {@code weft:1M}, for rings other than
 *       the C SDK's default, in the same run; {@code weft-reusable[:<ring size>]} with the SDK
 *       exporter's {@code otel.java.exporter.memory_mode=reusable_data}, which SDK 1.67 already
 *       uses when nothing sets it: the same as {@code weft} there;
 *       {@code weft-sdkmarshal[:<ring size>]} with the SDK's marshaler for native batches,
 *       {@code WEFT_EXPORT_MARSHALER=sdk}, against Weft's, the default): weft-loadgen (C SDK, {@code --threads} native threads, the span shape of
 *       {@code c-sdk/tools/weft_loadgen.c}) at the rate into a collector JVM
 *       ({@link CollectorProcess}: every default, started before the load, {@code -Xmx} from
 *       {@code --heap}); held when the receiver counted every span and the collector counted no
 *       native drop, no queue overflow and no export failure;
 *   <li>{@code sdk-default} / {@code sdk-tuned}: {@link SdkLoad}, the same spans from Java threads
 *       through the OpenTelemetry SDK's BatchSpanProcessor with its defaults, or with Weft's
 *       TCP_NODELAY sender and a queue of 8192; held when the receiver counted every span.
 * </ul>
 *
 * Every span goes over OTLP/gRPC on 127.0.0.1 to one {@link CountingReceiver} in its own JVM.
 * A trial also fails when the producer could not offer the rate (it took more than 5 % longer
 * than the window). Each trial starts fresh subject processes, so a trial includes the first
 * seconds after start (no warm-up is excluded); the receiver, the stand-in for a backend that is
 * already running, is warmed once before the first trial ({@code --receiver-warmup}, in no trial).
 */
public final class CapacityBenchmark {
  /** Settings, from the command line. */
  static final class Options {
    double window = 60;
    List<String> subjects = List.of("weft", "sdk-default", "sdk-tuned");
    long min = 5_000;
    long max = 1_000_000;
    long start = 100_000;
    double precision = 0.05;
    int maxTrials = 8;
    int threads = 2;
    String heap = "64m";
    double settle = 15;
    /** Seconds between the subject's process being ready and the load starting. */
    double lead = 0;
    /**
     * Seconds of SDK spans sent to the receiver before the first trial (0: none), so that the
     * first trial does not wait for the receiver's own JIT: a real backend is warm.
     */
    double receiverWarmup = 3;
    /**
     * Spans per second of the Weft part of the receiver's warm-up: {@link #receiverWarmup}
     * seconds of weft-loadgen through a collector, in no trial (0: none).
     */
    long receiverWarmupRate = 100_000;
    Path loadgen;
    Path logDir;
    String classPath = System.getProperty("java.class.path");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> collectorJvmArgs = new ArrayList<>();
    Map<String, String> collectorEnv = new LinkedHashMap<>();
  }

  /** One trial's outcome. */
  record Trial(String subject, long rate, long offered, long received, long drops,
      double elapsed, double cpuSeconds, long heapPeak, boolean held, String why) {
    double cpuShare() {
      return cpuSeconds / elapsed;
    }

    double cpuMicrosPerSpan() {
      return offered == 0 ? 0 : cpuSeconds * 1e6 / offered;
    }

    String line() {
      return String.format(Locale.ROOT,
          "trial %-11s rate=%d offered=%d received=%d drops=%d elapsed=%.2fs cpu=%.1f%%"
              + " cpu/span=%.2fus heapPeak=%.1fMiB %s%s",
          subject, rate, offered, received, drops, elapsed, 100 * cpuShare(), cpuMicrosPerSpan(),
          heapPeak / 1048576.0, held ? "HELD" : "FAILED", why.isEmpty() ? "" : " (" + why + ")");
    }
  }

  /** A subject's result: the highest rate held and the trial that held it. */
  record Result(String subject, long held, long failedAbove, Trial best, List<Trial> trials) {}

  private final Options options;
  private final CountingReceiver.Client receiver;
  private int trialNumber;

  CapacityBenchmark(Options options, CountingReceiver.Client receiver) {
    this.options = options;
    this.receiver = receiver;
  }

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null && !a.equals("--help")) {
        throw new IllegalArgumentException(a + " needs a value");
      }
      switch (a) {
        case "--window" -> o.window = Double.parseDouble(v);
        case "--subjects" -> o.subjects = List.of(v.split(","));
        case "--min" -> o.min = Long.parseLong(v);
        case "--max" -> o.max = Long.parseLong(v);
        case "--start" -> o.start = Long.parseLong(v);
        case "--precision" -> o.precision = Double.parseDouble(v);
        case "--max-trials" -> o.maxTrials = Integer.parseInt(v);
        case "--threads" -> o.threads = Integer.parseInt(v);
        case "--heap" -> o.heap = v;
        case "--settle" -> o.settle = Double.parseDouble(v);
        case "--lead" -> o.lead = Double.parseDouble(v);
        case "--receiver-warmup" -> o.receiverWarmup = Double.parseDouble(v);
        case "--receiver-warmup-rate" -> o.receiverWarmupRate = Long.parseLong(v);
        case "--loadgen" -> o.loadgen = Path.of(v);
        case "--log-dir" -> o.logDir = Path.of(v);
        case "--collector-jvm-arg" -> o.collectorJvmArgs.add(v);
        case "--collector-env" -> {
          int eq = v.indexOf('=');
          o.collectorEnv.put(v.substring(0, eq), v.substring(eq + 1));
        }
        case "--help" -> {
          System.out.println("options: --window S --subjects weft,sdk-default,sdk-tuned --min R"
              + " --max R --start R --precision F --max-trials N --threads T --heap 64m"
              + " --settle S --lead S --receiver-warmup S --receiver-warmup-rate R --loadgen PATH --log-dir DIR --collector-jvm-arg ARG"
              + " --collector-env K=V (WEFT_RING_SIZE=... goes to weft-loadgen too)");
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
      i++;
    }
    if (o.loadgen == null) {
      o.loadgen = Path.of(System.getProperty("weft.native.build.dir", "c-sdk/target/cmake"),
          "tools", "weft-loadgen");
    }
    if (!Files.isExecutable(o.loadgen)) {
      throw new IllegalArgumentException("weft-loadgen not found at " + o.loadgen
          + ": build c-sdk first, or pass --loadgen");
    }
    if (o.start < o.min || o.start > o.max) {
      throw new IllegalArgumentException("--start must be within --min..--max");
    }
    return o;
  }

  /** Bisects one subject between {@code min} (assumed held) and {@code max}. */
  Result bisect(String subject) throws Exception {
    long lo = 0;
    long hi = Long.MAX_VALUE; // lowest rate seen failing
    Trial best = null;
    List<Trial> trials = new ArrayList<>();
    long rate = options.start;
    for (int n = 0; n < options.maxTrials; n++) {
      Trial t = trial(subject, rate);
      trials.add(t);
      System.out.println(t.line());
      System.out.flush();
      if (t.held()) {
        lo = rate;
        best = t;
      } else {
        hi = rate;
      }
      long next;
      if (hi == Long.MAX_VALUE) {
        if (rate >= options.max) {
          break;
        }
        next = Math.min(options.max, rate * 2);
      } else if (lo == 0 && rate <= options.min) {
        break; // fails at the floor
      } else {
        next = lo == 0 ? Math.max(options.min, rate / 2) : (lo + hi) / 2;
      }
      next = Math.max(1000, next / 1000 * 1000);
      if (hi != Long.MAX_VALUE && lo > 0 && hi - lo <= options.precision * lo) {
        break;
      }
      if (next == rate) {
        break;
      }
      rate = next;
    }
    return new Result(subject, lo, hi, best, trials);
  }

  private Trial trial(String subject, long rate) throws Exception {
    int number = ++trialNumber;
    return subject.startsWith("weft") ? weftTrial(subject, rate, number, options.window)
        : sdkTrial(subject, subject.equals("sdk-tuned") ? "tuned" : "default", rate, number);
  }

  private List<String> jvm(String mainClass, List<String> extra) {
    List<String> command = new ArrayList<>();
    command.add(options.java);
    command.add("-Xmx" + options.heap);
    command.addAll(extra);
    command.add("-cp");
    command.add(options.classPath);
    command.add(mainClass);
    return command;
  }

  private Path log(String name) {
    return options.logDir.resolve(name + ".log");
  }

  private Trial weftTrial(String subject, long rate, int number, double window) throws Exception {
    String shmName = "weft-capacity-" + ProcessHandle.current().pid() + "-" + number;
    Path segment = Path.of("/dev/shm", shmName);
    long perThread = (long) (rate * window / options.threads);
    long offered = perThread * options.threads;
    Map<String, String> env = new LinkedHashMap<>(options.collectorEnv);
    env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
    env.put("OTEL_SERVICE_NAME", "weft-capacity");
    if (subject.startsWith("weft-reusable")) {
      env.put("OTEL_JAVA_EXPORTER_MEMORY_MODE", "reusable_data");
    }
    if (subject.startsWith("weft-sdkmarshal")) {
      env.put("WEFT_EXPORT_MARSHALER", "sdk"); // the SDK's marshaler for native batches too
    }
    List<String> command = new ArrayList<>(jvm(CollectorProcess.class.getName(),
        options.collectorJvmArgs));
    command.add(segment.toString());
    try (Child collector = new Child("collector", command, env, log("collector-" + number))) {
      collector.expect("ready", 60);
      Thread.sleep((long) (options.lead * 1000));
      String before = collector.ask("stats", "stats", 10);
      long count0 = receiver.count();
      Map<String, String> loadEnv = new LinkedHashMap<>();
      loadEnv.put("WEFT_SHM_NAME", shmName);
      int colon = subject.indexOf(':');
      String ring = colon > 0 ? subject.substring(colon + 1)
          : options.collectorEnv.get("WEFT_RING_SIZE");
      if (ring != null) {
        loadEnv.put("WEFT_RING_SIZE", ring);
      }
      List<String> loadCommand = List.of(options.loadgen.toString(), "--threads",
          String.valueOf(options.threads), "--spans", String.valueOf(perThread), "--rate",
          String.valueOf(rate), "--wait");
      double elapsed;
      try (Child loadgen = new Child("weft-loadgen", loadCommand, loadEnv,
          log("loadgen-" + number))) {
        loadgen.expect("segment ", 30);
        long t0 = System.nanoTime();
        // ring-full drops second by second: when in the window they happen (start, stalls)
        StringBuilder dropTimes = new StringBuilder();
        long lastDrops = 0;
        long deadline = t0 + (long) ((window * 3 + 60) * 1e9);
        while (loadgen.poll("done ", 1.0) == null) {
          if (System.nanoTime() > deadline) {
            throw new IOException("weft-loadgen did not finish");
          }
          long d = Child.longField(collector.ask("stats", "stats", 10), "nativeDrops");
          if (d > lastDrops) {
            dropTimes.append(String.format(Locale.ROOT, " %.0fs:+%d",
                (System.nanoTime() - t0) / 1e9, d - lastDrops));
            lastDrops = d;
          }
        }
        elapsed = (System.nanoTime() - t0) / 1e9;
        long received = waitForSpans(count0, offered);
        String after = collector.ask("stats", "stats", 10);
        long drops = Child.longField(after, "nativeDrops")
            + Child.longField(after, "overflow") + Child.longField(after, "failed");
        double cpu = (Child.longField(after, "cpu") - Child.longField(before, "cpu")) / 1e9;
        long heapPeak = Child.longField(after, "heapPeak");
        String why = why(offered, received, drops, elapsed, window);
        if (drops > 0) {
          why = why + " " + after.substring("stats ".length(), after.indexOf(" cpu="))
              + (dropTimes.length() > 0 ? "; drops at" + dropTimes
                  : "; drops before the first 1 s sample");
        }
        return new Trial(subject, rate, offered, received, drops, elapsed, cpu, heapPeak,
            why.isEmpty(), why.trim());
      }
    } finally {
      Files.deleteIfExists(segment);
    }
  }

  private Trial sdkTrial(String subject, String mode, long rate, int number) throws Exception {
    long count0 = receiver.count();
    List<String> command = new ArrayList<>(jvm(SdkLoad.class.getName(), List.of()));
    command.addAll(List.of(receiver.endpoint(), String.valueOf(rate),
        String.valueOf(options.window), String.valueOf(options.threads), mode,
        String.valueOf(options.lead)));
    try (Child load = new Child(subject, command, Map.of(), log(subject + "-" + number))) {
      String ready = load.expect("ready", 60);
      String done = load.expect("done ", options.window * 3 + 120);
      long offered = Child.longField(done, "spans");
      double elapsed = Double.parseDouble(Child.fields(done).get("elapsed"));
      long received = waitForSpans(count0, offered);
      double cpu = (Child.longField(done, "cpu") - Child.longField(ready, "cpu")) / 1e9;
      long drops = Math.max(0, offered - received);
      String why = why(offered, received, drops, elapsed, options.window);
      return new Trial(subject, rate, offered, received, drops, elapsed, cpu,
          Child.longField(done, "heapPeak"), why.isEmpty(), why.trim());
    }
  }

  /**
   * Sends the receiver {@link Options#receiverWarmup} seconds of 20 k spans/s through the SDK
   * (tuned), not counted in any trial. Without it the first trial of a run met a receiver JVM
   * still compiling its code: its slow answers held the rings (each ring is given back only when
   * its spans are acknowledged), and a fresh collector dropped 100-3 000 spans at 25 k/s in its
   * first second where a trial after it dropped none.
   */
  void warmReceiver() throws Exception {
    if (options.receiverWarmup <= 0) {
      return;
    }
    long count0 = receiver.count();
    List<String> command = new ArrayList<>(jvm(SdkLoad.class.getName(), List.of()));
    command.addAll(List.of(receiver.endpoint(), "20000", String.valueOf(options.receiverWarmup),
        "1", "tuned", "0"));
    long t0 = System.nanoTime();
    try (Child load = new Child("receiver-warmup", command, Map.of(), log("receiver-warmup"))) {
      load.expect("ready", 60);
      String done = load.expect("done ", options.receiverWarmup * 3 + 120);
      long received = receiver.count() - count0;
      for (long last = -1; received != last; received = receiver.count() - count0) {
        last = received;
        Thread.sleep(1000); // until the count stays put for a second
      }
      System.out.printf(Locale.ROOT, "receiver warmed up: %d SDK spans in %.1f s (in no trial)%n",
          received, (System.nanoTime() - t0) / 1e9);
    }
    if (options.receiverWarmupRate > 0) {
      // Then Weft's batches at a capacity-like rate: SDK spans at 20 k/s left the receiver's
      // code for large, concurrent requests cold, and in a 200 k/s trial that followed it used
      // 70-86 % of a core for its first 3 s against 28 % after (its JIT), on the 2 cores the
      // collector under test needs then.
      Trial t = weftTrial("weft", options.receiverWarmupRate, 0, options.receiverWarmup);
      System.out.printf(Locale.ROOT, "receiver warmed up: %d Weft spans in %.1f s (in no trial)%n",
          t.received(), t.elapsed());
    }
  }

  private String why(long offered, long received, long drops, double elapsed, double window) {
    StringBuilder why = new StringBuilder();
    if (received != offered) {
      why.append(" received ").append(received).append(" of ").append(offered);
    }
    if (drops > 0) {
      why.append(" ").append(drops).append(" dropped");
    }
    if (elapsed > window * 1.05) {
      why.append(String.format(Locale.ROOT, " producer took %.2f s for a %.0f s window",
          elapsed, window));
    }
    return why.toString();
  }

  /** Waits until the receiver has {@code expected} more spans, or none arrive for settle s. */
  private long waitForSpans(long count0, long expected) throws Exception {
    long last = -1;
    long lastChange = System.nanoTime();
    while (true) {
      long got = receiver.count() - count0;
      if (got >= expected) {
        return got;
      }
      long now = System.nanoTime();
      if (got != last) {
        last = got;
        lastChange = now;
      } else if (now - lastChange > options.settle * 1e9) {
        return got;
      }
      Thread.sleep(100);
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Runs every subject; prints trials, then a summary table. */
  static List<Result> run(Options options) throws Exception {
    if (options.logDir == null) {
      options.logDir = Files.createTempDirectory("weft-capacity-");
    }
    Files.createDirectories(options.logDir);
    System.out.println("weft capacity benchmark: window " + options.window + " s, lead " + options.lead + " s, "
        + options.threads + " producer threads, -Xmx" + options.heap + ", cores "
        + Runtime.getRuntime().availableProcessors() + ", load average " + loadAverage()
        + ", logs in " + options.logDir);
    List<Result> results = new ArrayList<>();
    try (CountingReceiver.Client receiver = CountingReceiver.Client.start(options)) {
      CapacityBenchmark bench = new CapacityBenchmark(options, receiver);
      bench.warmReceiver();
      for (String subject : options.subjects) {
        results.add(bench.bisect(subject));
      }
    }
    System.out.println("load average at the end: " + loadAverage());
    System.out.println();
    System.out.println("| subject | highest rate held (spans/s) | lowest failed | ratio to "
        + "sdk-tuned | CPU share at the held rate | CPU us/span | heap peak |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    long tuned = results.stream().filter(r -> r.subject().equals("sdk-tuned"))
        .mapToLong(Result::held).findFirst().orElse(0);
    for (Result r : results) {
      Trial b = r.best();
      System.out.println(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s |",
          r.subject(), r.held(),
          r.failedAbove() == Long.MAX_VALUE ? "none (max " + options.max + ")"
              : String.valueOf(r.failedAbove()),
          tuned > 0 ? String.format(Locale.ROOT, "%.2f", (double) r.held() / tuned) : "-",
          b == null ? "-" : String.format(Locale.ROOT, "%.0f %%", 100 * b.cpuShare()),
          b == null ? "-" : String.format(Locale.ROOT, "%.2f", b.cpuMicrosPerSpan()),
          b == null ? "-" : String.format(Locale.ROOT, "%.1f MiB", b.heapPeak() / 1048576.0)));
    }
    return results;
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("weft capacity benchmark: " + e.getMessage() + " (--help)");
      System.exit(2);
      return;
    }
    run(options);
  }
}
