package dev.weft;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.nio.file.Path;
import java.util.concurrent.SynchronousQueue;

/**
 * The JVM that {@link WeftDiagnosisProfilersTest} starts: libweft started by a JVM attach, JVM
 * spans published or not, and, in mode {@code late}, another writer of the thread context loaded
 * after Weft started ({@code System.load}) while a JVM-only thread has a span current ({@link
 * JvmOnlyThread}); prints {@link Weft#diagnose()} twice (the second time with the summary), each
 * line prefixed {@code diag|}.
 */
public final class ProfilersDiagnosisTarget {
  private ProfilersDiagnosisTarget() {}

  public static void main(String[] args) {
    String mode = args[0];
    if (!mode.equals("plain") && !Weft.publishThreadContext()) {
      System.out.println("publishThreadContext=false");
    }
    try (NativeScope scope = Weft.enterNative(0x1234L, 0x5678L, 0x9aL, 1)) {
      System.out.println("attached=" + (scope != null));
    }
    JvmOnlyThread jvmOnly = null;
    if (mode.equals("late")) {
      System.load(Path.of(args[2]).toAbsolutePath().toString()); // publishedSpanId
      jvmOnly = new JvmOnlyThread();
      jvmOnly.start();
      jvmOnly.step(); // its span is current and published
      System.load(Path.of(args[1]).toAbsolutePath().toString()); // defines otel_thread_ctx_v1 too, as a profiler's library would
    }
    for (int i = 0; i < 2; i++) {
      WeftDiagnosis d = Weft.diagnose(); // the first one finds the writer loaded later: libweft yields
      for (String line : d.toString().split("\n")) {
        System.out.println("diag|" + line);
      }
      if (i == 1) {
        System.out.println("summary|" + d.summary());
      }
    }
    if (jvmOnly != null) {
      jvmOnly.step(); // after the yield: its context changes
      try {
        jvmOnly.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * What libweft's otel_thread_ctx_v1 of the calling thread names, as a profiler reads it
   * (c-sdk/tests/thread_ctx_probe_lib.c): the span id of the valid record it points at, 0 if it
   * points at nothing, -1 if at a record marked not valid, -2 if libweft is not found.
   */
  private static native long publishedSpanId();

  /**
   * A platform thread that never calls into libweft itself (no native span, no attach): its
   * current span is published by the context storage wrapper alone. It prints what a profiler
   * reads ({@code jvmonly|...}) with span a1 current, then, after the yield, still unchanged,
   * with span b2 made current inside it, and after each scope closes.
   */
  private static final class JvmOnlyThread extends Thread {
    private final SynchronousQueue<String> steps = new SynchronousQueue<>();

    JvmOnlyThread() {
      super("jvm-only");
    }

    /** Lets the thread run its next part and waits until it is done. */
    void step() {
      try {
        steps.put("go");
        steps.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private void await() throws InterruptedException {
      steps.take();
    }

    private void done() throws InterruptedException {
      steps.put("done");
    }

    @Override
    public void run() {
      try {
        await();
        Scope a = span("00000000000000a1").makeCurrent();
        System.out.println("jvmonly|before=" + Long.toHexString(publishedSpanId()));
        done();
        await();
        System.out.println("jvmonly|yielded=" + Long.toHexString(publishedSpanId()));
        Scope b = span("00000000000000b2").makeCurrent();
        System.out.println("jvmonly|changed=" + Long.toHexString(publishedSpanId()));
        b.close();
        System.out.println("jvmonly|restored=" + Long.toHexString(publishedSpanId()));
        a.close();
        System.out.println("jvmonly|closed=" + Long.toHexString(publishedSpanId()));
        done();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private static Context span(String spanId) {
      return Context.root().with(Span.wrap(SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736",
          spanId, TraceFlags.getSampled(), TraceState.getDefault())));
    }
  }
}
