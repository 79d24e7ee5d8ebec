package dev.weft.internal.decode;

import dev.weft.internal.Counters;
import dev.weft.internal.segment.SegmentDrainer;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link DecodeBenchmark}'s two workloads measured in CPU time of the measuring thread, in
 * alternating rounds of the same JVM: on a machine shared with other work, wall-clock
 * throughput mostly measures how often the thread was scheduled, and two benchmarks run one
 * after the other see different loads. Thread CPU time ({@code getCurrentThreadCpuTime}) counts
 * only the time the thread ran, so "spans per CPU-second" is the throughput of one core; each
 * round measures both workloads within about a second, so their ratio sees the same machine.
 * Allocation per span is {@code getThreadAllocatedBytes} (what JMH's {@code -prof gc} reads).
 *
 * <p>Arguments: {@code [rounds [millisPerSlice]]}, default 20 rounds of 400 ms per workload, after
 * 10 warm-up rounds.
 */
public final class DecodeCpuTime {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Escapes every span, so that none of them can be scalar-replaced away. */
  static volatile Object sinkHole;

  private final LoadgenRing ring;
  private final SegmentDrainer drainer;
  private final SdkTracerProvider tracerProvider;
  private final Tracer tracer;
  private final String[] texts = new String[LoadgenRing.RECORDS];
  private long seq;
  private Object last;

  private final SpanSink sink = new SpanSink() {
    @Override
    public boolean canAccept() {
      return true;
    }

    @Override
    public void accept(SpanData span) {
      last = span;
    }
  };

  DecodeCpuTime() throws Exception {
    ring = new LoadgenRing();
    drainer = ring.drainer(Resource.getDefault(), new Counters());
    for (int i = 0; i < texts.length; i++) {
      texts[i] = "value-" + i;
    }
    tracerProvider = SdkTracerProvider.builder()
        .addSpanProcessor(DecodeBenchmark.endingInto(data -> last = data)).build();
    tracer = tracerProvider.get("weft-bench", "1.0");
  }

  /** One pass of {@link DecodeBenchmark#weftDecodeAndConvert}. */
  int weft() {
    ring.refill();
    int n = drainer.drain(sink);
    sinkHole = last;
    return n;
  }

  /** One pass of {@link DecodeBenchmark#sdkCreateSpanAndSpanData}. */
  int sdk() {
    for (int i = 0; i < LoadgenRing.RECORDS; i++) {
      long s = seq++ % LoadgenRing.RECORDS;
      DecodeBenchmark.sdkSpan(tracer, s, texts[(int) s]);
    }
    sinkHole = last;
    return LoadgenRing.RECORDS;
  }

  /** {spans per CPU-second, bytes allocated per span} over about {@code millis} of CPU time. */
  public static double[] slice(java.util.function.IntSupplier pass, long millis) {
    long thread = Thread.currentThread().getId();
    long bytes0 = THREADS.getThreadAllocatedBytes(thread);
    long cpu0 = THREADS.getCurrentThreadCpuTime();
    long deadline = cpu0 + millis * 1_000_000L;
    long spans = 0;
    long cpu;
    do {
      spans += pass.getAsInt();
      cpu = THREADS.getCurrentThreadCpuTime();
    } while (cpu < deadline);
    long bytes = THREADS.getThreadAllocatedBytes(thread) - bytes0;
    return new double[] {spans * 1e9 / (cpu - cpu0), (double) bytes / spans};
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    long millis = args.length > 1 ? Long.parseLong(args[1]) : 400;
    DecodeCpuTime bench = new DecodeCpuTime();
    for (int i = 0; i < 10; i++) {
      slice(bench::weft, millis);
      slice(bench::sdk, millis);
    }
    double[] weft = new double[rounds];
    double[] sdk = new double[rounds];
    double[] ratio = new double[rounds];
    double weftBytes = 0;
    double sdkBytes = 0;
    for (int r = 0; r < rounds; r++) {
      // Alternate which goes first, so that neither always follows the other's garbage.
      double[] w;
      double[] s;
      if ((r & 1) == 0) {
        w = slice(bench::weft, millis);
        s = slice(bench::sdk, millis);
      } else {
        s = slice(bench::sdk, millis);
        w = slice(bench::weft, millis);
      }
      weft[r] = w[0];
      sdk[r] = s[0];
      ratio[r] = w[0] / s[0];
      weftBytes = w[1];
      sdkBytes = s[1];
      System.out.printf(Locale.ROOT, "round %2d: weft %6.2f M spans/CPU-s, sdk %6.2f M, ratio %.2f%n",
          r + 1, w[0] / 1e6, s[0] / 1e6, ratio[r]);
    }
    System.out.printf(Locale.ROOT, "weft decode+convert: %s M spans per CPU-second%n",
        summary(weft, 1e6));
    System.out.printf(Locale.ROOT, "sdk create+toSpanData: %s M spans per CPU-second%n",
        summary(sdk, 1e6));
    System.out.printf(Locale.ROOT, "ratio weft/sdk (per round): %s%n", summary(ratio, 1));
    System.out.printf(Locale.ROOT, "bytes allocated per span: weft %.1f, sdk %.1f, ratio %.3f%n",
        weftBytes, sdkBytes, weftBytes / sdkBytes);
    System.out.printf(Locale.ROOT, "rounds %d x %d ms of CPU per workload; load average %s%n",
        rounds, millis, loadAverage());
    bench.tracerProvider.close();
    bench.ring.close();
  }

  /** Median, mean +- the 95 % interval of the mean (t), min and max. */
  static String summary(double[] values, double unit) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    double mean = Arrays.stream(v).average().orElse(Double.NaN);
    double var = 0;
    for (double x : v) {
      var += (x - mean) * (x - mean);
    }
    double sd = n > 1 ? Math.sqrt(var / (n - 1)) : 0;
    double t = n >= 30 ? 2.04 : n >= 20 ? 2.09 : n >= 10 ? 2.26 : 2.78;
    double half = t * sd / Math.sqrt(n);
    double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return String.format(Locale.ROOT, "median %.2f, mean %.2f +- %.2f (95 %%, n=%d), min %.2f, max %.2f",
        median / unit, mean / unit, half / unit, n, v[0] / unit, v[n - 1] / unit);
  }

  static String loadAverage() {
    try {
      return new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg")),
          java.nio.charset.StandardCharsets.US_ASCII).trim();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
