package dev.weft.internal.export;

import dev.weft.internal.decode.DecodeCpuTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * {@link WeftMarshalBenchmark}'s workloads in thread CPU time, in rounds of the same JVM where
 * every workload runs once per round (the order rotating), so that each round's ratios see the
 * same machine: on a 2-core machine at load average 5-11, JMH's wall-clock scores mostly measure
 * scheduling (see DecodeCpuTime). Allocation per span is {@code getThreadAllocatedBytes}.
 *
 * <p>Arguments: {@code [rounds [millisPerSlice]]}, default 16 rounds of 300 ms per workload,
 * after 6 warm-up rounds. Run: {@code -Dbench.main=dev.weft.internal.export.WeftMarshalCpuTime
 * -Dbench.args="16 300"}.
 */
public final class WeftMarshalCpuTime {

  static volatile long sinkHole;

  private WeftMarshalCpuTime() {}

  /** {ns of CPU per span, bytes allocated per span} over about {@code millis} of CPU time. */
  static double[] slice(IntSupplier pass, long millis) {
    double[] s = DecodeCpuTime.slice(pass, millis); // {spans per CPU-second, bytes per span}
    return new double[] {1e9 / s[0], s[1]};
  }

  interface Pass {
    long run() throws IOException;
  }

  static IntSupplier spans(Pass pass, int spans) {
    return () -> {
      try {
        sinkHole += pass.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return spans;
    };
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    long millis = args.length > 1 ? Long.parseLong(args[1]) : 300;
    WeftMarshalBenchmark b = new WeftMarshalBenchmark();
    b.setUp();
    int batch = ExportBenchmark.BATCH;
    int records = dev.weft.internal.decode.LoadgenRing.RECORDS;
    String[] names = {
        "marshal: SDK TraceRequestMarshaler", "marshal: SDK LowAllocation (reusable)",
        "marshal: Weft",
        "decode + SDK TraceRequestMarshaler", "decode + SDK LowAllocation (today's default)",
        "decode + Weft marshaler",
        "SDK span + toSpanData + TraceRequestMarshaler", "SDK span + toSpanData + LowAllocation"};
    IntSupplier[] passes = {
        spans(b::marshalSdk, batch), spans(b::marshalSdkLowAllocation, batch),
        spans(b::marshalWeft, batch),
        spans(b::endToEndDecodeSdkMarshal, records),
        spans(b::endToEndDecodeSdkLowAllocation, records),
        spans(b::endToEndDecodeWeftMarshal, records),
        spans(b::endToEndSdkSpanSdkMarshal, records),
        spans(b::endToEndSdkSpanLowAllocation, records)};
    int n = passes.length;
    for (int r = 0; r < 6; r++) {
      for (IntSupplier pass : passes) {
        slice(pass, millis);
      }
    }
    double[][] ns = new double[n][rounds];
    double[][] bytes = new double[n][rounds];
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < n; k++) {
        int w = (k + r) % n;
        double[] s = slice(passes[w], millis);
        ns[w][r] = s[0];
        bytes[w][r] = s[1];
      }
    }
    System.out.println("ns of CPU per span (median, mean +- 95 % interval of the mean), B/span:");
    for (int w = 0; w < n; w++) {
      System.out.printf(Locale.ROOT, "  %-48s %s   %.1f B%n", names[w], summary(ns[w]),
          median(bytes[w]));
    }
    System.out.println("per-round ratios (median, mean +- 95 %):");
    ratio("marshal: Weft / SDK LowAllocation", ns[2], ns[1]);
    ratio("marshal: Weft / SDK TraceRequestMarshaler", ns[2], ns[0]);
    ratio("decode+Weft / decode+SDK LowAllocation", ns[5], ns[4]);
    ratio("decode+Weft / decode+SDK TraceRequestMarshaler", ns[5], ns[3]);
    ratio("decode+Weft / SDK span+LowAllocation", ns[5], ns[7]);
    ratio("decode+Weft / SDK span+TraceRequestMarshaler", ns[5], ns[6]);
    ratio("decode+SDK LowAllocation / SDK span+LowAllocation", ns[4], ns[7]);
    System.out.printf(Locale.ROOT, "bytes ratios: decode+Weft / SDK span+LowAllocation %.3f,"
        + " / SDK span+TraceRequestMarshaler %.3f; decode+SDK LowAllocation / SDK span+"
        + "LowAllocation %.3f%n", median(bytes[5]) / median(bytes[7]),
        median(bytes[5]) / median(bytes[6]), median(bytes[4]) / median(bytes[7]));
    System.out.printf(Locale.ROOT, "rounds %d x %d ms of CPU per workload; load average %s%n",
        rounds, millis, loadAverage());
    b.tearDown();
  }

  private static void ratio(String name, double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[i] / b[i];
    }
    System.out.printf(Locale.ROOT, "  %-52s %s%n", name, summary(r));
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  static String summary(double[] v) {
    int n = v.length;
    double mean = Arrays.stream(v).average().orElse(Double.NaN);
    double var = 0;
    for (double x : v) {
      var += (x - mean) * (x - mean);
    }
    double sd = n > 1 ? Math.sqrt(var / (n - 1)) : 0;
    double t = n >= 30 ? 2.04 : n >= 20 ? 2.09 : n >= 10 ? 2.26 : 2.78;
    return String.format(Locale.ROOT, "%8.3f, %8.3f +- %.3f", median(v), mean,
        t * sd / Math.sqrt(n));
  }

  static String loadAverage() {
    try {
      return new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg")),
          java.nio.charset.StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
