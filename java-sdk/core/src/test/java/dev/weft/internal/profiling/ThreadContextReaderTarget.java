package dev.weft.internal.profiling;

import dev.weft.NativeScope;
import dev.weft.Weft;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The JVM that c-sdk/tests/otel_ctx_reader samples (ThreadContextReaderTest): platform threads
 * that make JVM spans current, nest a child, attach the span for a "native call"
 * ({@code Weft.enterNative}) and leave it, each step told to the truth file
 * (c-sdk/tests/otel_ctx_truth.h) with volatile stores around the context change.
 */
public final class ThreadContextReaderTarget {
  static final String SERVICE = "weft-threadctx-reader-test";
  private static final int THREADS = 3;
  private static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int IDLE = 0;
  private static final int OPEN = 1;
  private static final int MOVING = 2;

  private ThreadContextReaderTarget() {}

  /**
   * No argument: an SDK of its own, {@link Weft#publishThreadContext()}. {@code agent}: under the
   * OpenTelemetry Java agent (and the Weft agent, {@code weft.threadctx.java=true}), the agent's
   * tracer through the API's bridge, and no Weft call but loading libweft.
   */
  public static void main(String[] args) throws Exception {
    Tracer tracer;
    if (args.length > 0 && args[0].equals("agent")) {
      if (!Weft.isAvailable()) { // libweft on the application's side: the records are handed over
        System.err.println("ThreadContextReaderTarget: libweft is not available (see the log)");
        System.exit(3);
      }
      tracer = GlobalOpenTelemetry.getTracer("reader-test");
    } else {
      if (!Weft.publishThreadContext()) {
        System.err.println("ThreadContextReaderTarget: JVM spans are not published (see the log)");
        System.exit(3);
      }
      Resource resource = Resource.getDefault().merge(Resource.create(
          Attributes.of(AttributeKey.stringKey("service.name"), SERVICE)));
      ProcessContextPublisher.publish(resource);
      // with no span processor the SDK hands out no-op tracers: one that exports nowhere
      tracer = SdkTracerProvider.builder().setResource(resource)
          .addSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite())).build()
          .get("reader-test");
    }
    Path file = Path.of(System.getenv("WEFT_TRUTH_FILE"));
    MappedByteBuffer truth;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      truth = channel.map(FileChannel.MapMode.READ_WRITE, 0, 64 + 64 * 64);
    }
    CountDownLatch ready = new CountDownLatch(THREADS);
    for (int i = 0; i < THREADS; i++) {
      int base = 64 + 64 * i;
      Thread t = new Thread(() -> run(tracer, truth, base, ready), "reader-target-" + i);
      t.setDaemon(true);
      t.start();
    }
    ready.await();
    INT.setVolatile(truth, 4, THREADS);
    INT.setVolatile(truth, 0, 0x55525457);
    Thread.sleep(Long.MAX_VALUE);
  }

  @SuppressWarnings("try") // the scopes are what is measured
  private static void run(Tracer tracer, MappedByteBuffer truth, int base, CountDownLatch ready) {
    try {
      String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
      INT.setVolatile(truth, base, Integer.parseInt(self));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    INT.setVolatile(truth, base + 4, IDLE);
    ready.countDown();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (true) {
      Span span = tracer.spanBuilder("java").startSpan();
      moving(truth, base, span.getSpanContext());
      try (Scope scope = span.makeCurrent()) {
        state(truth, base, OPEN);
        spin(random);
        Span child = tracer.spanBuilder("child").startSpan();
        moving(truth, base, child.getSpanContext());
        try (Scope inner = child.makeCurrent()) {
          state(truth, base, OPEN);
          spin(random);
          moving(truth, base, span.getSpanContext());
        }
        state(truth, base, OPEN);
        child.end();
        // a native call: the span is attached to libweft's stack, so the record is the frame's,
        // with the same ids
        try (NativeScope call = Weft.enterNative()) {
          spin(random);
        }
        spin(random);
        moving(truth, base, null);
      }
      state(truth, base, IDLE);
      span.end();
      spin(random);
    }
  }

  private static void state(MappedByteBuffer truth, int base, int state) {
    INT.setVolatile(truth, base + 4, state);
  }

  /** MOVING: alt = cur, cur = next (null: none). */
  private static void moving(MappedByteBuffer truth, int base, SpanContext next) {
    state(truth, base, MOVING);
    for (int i = 0; i < 3; i++) {
      LONG.setVolatile(truth, base + 32 + 8 * i, (long) LONG.getVolatile(truth, base + 8 + 8 * i));
    }
    long[] ids = next == null ? new long[3] : new long[] {
        Long.parseUnsignedLong(next.getTraceId().substring(0, 16), 16),
        Long.parseUnsignedLong(next.getTraceId().substring(16), 16),
        Long.parseUnsignedLong(next.getSpanId(), 16)};
    for (int i = 0; i < 3; i++) {
      LONG.setVolatile(truth, base + 8 + 8 * i, ids[i]);
    }
  }

  private static void spin(ThreadLocalRandom random) {
    if (random.nextBoolean()) {
      long until = System.nanoTime() + random.nextInt(20_000);
      while (System.nanoTime() < until) {
        Thread.onSpinWait();
      }
    } else {
      try {
        Thread.sleep(0, random.nextInt(50_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
