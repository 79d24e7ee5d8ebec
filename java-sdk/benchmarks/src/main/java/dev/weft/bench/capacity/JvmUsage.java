package dev.weft.bench.capacity;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/** What a benchmark child JVM reports about itself: CPU time, heap peak and limit. */
final class JvmUsage {
  private JvmUsage() {}

  /** CPU time of the whole process (every thread: collector, exporter, GC, JIT), in ns. */
  static long processCpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return -1;
  }

  /** The sum of the heap pools' peak usage since the last reset, in bytes. */
  static long heapPeakBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  /** The largest heap after a collection seen since the last reset (live data), in bytes. */
  static long heapLiveBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
        sum += pool.getCollectionUsage().getUsed();
      }
    }
    return sum;
  }

  static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
  }

  static long maxHeapBytes() {
    return Runtime.getRuntime().maxMemory();
  }

  /** {@code cpu=<ns> heapPeak=<bytes> heapMax=<bytes>}. */
  static String report() {
    return "cpu=" + processCpuNanos() + " heapPeak=" + heapPeakBytes() + " heapMax="
        + maxHeapBytes();
  }
}
