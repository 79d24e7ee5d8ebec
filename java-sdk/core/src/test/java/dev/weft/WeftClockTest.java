package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The SDK clock on libweft's anchor: its epoch, and the anchor read the SDK pairs with now(). */
class WeftClockTest {
  /** Spins until System.nanoTime() has moved past {@code t}. */
  static long after(long t) {
    long n;
    while ((n = System.nanoTime()) <= t) {
      Thread.onSpinWait();
    }
    return n;
  }

  @Test
  void nowIsUnixEpochNanoseconds() {
    long wall = System.currentTimeMillis() * 1_000_000L;
    long now = WeftClock.getInstance().now();
    // a wrong epoch or unit is off by years or by 10^6: a minute is no timing limit
    assertThat(Math.abs(now - wall)).isLessThan(60_000_000_000L);
  }

  @Test
  void theNanoTimeAfterNowIsTheOneReadWithIt() {
    WeftClock clock = new WeftClock(Long.MAX_VALUE);
    long before = System.nanoTime();
    clock.now();
    long readWithNow = System.nanoTime();
    after(readWithNow);
    long anchor = clock.nanoTime();
    assertThat(anchor).isBetween(before, readWithNow);
    long fresh = clock.nanoTime();
    assertThat(fresh).as("only the first nanoTime() after now() is the anchor")
        .isGreaterThan(readWithNow);
  }

  @Test
  void theAnchorBelongsToTheThreadThatCalledNow() throws Exception {
    WeftClock clock = new WeftClock(Long.MAX_VALUE);
    clock.now();
    long readWithNow = after(System.nanoTime());
    AtomicLong other = new AtomicLong();
    Thread t = new Thread(() -> other.set(clock.nanoTime()));
    t.start();
    t.join();
    assertThat(other.get()).isGreaterThan(readWithNow);
  }

  @Test
  void anAnchorOlderThanTheWindowIsNotUsed() {
    WeftClock clock = new WeftClock(0);
    clock.now();
    long readWithNow = after(System.nanoTime());
    assertThat(clock.nanoTime()).isGreaterThan(readWithNow);
  }

  @Test
  void nowWithAPrecisionDoesNotAnchor() {
    WeftClock clock = new WeftClock(Long.MAX_VALUE);
    clock.now(true);
    long t = after(System.nanoTime());
    assertThat(clock.nanoTime()).isGreaterThan(t);
  }

  @Test
  void sdkSpansAreStampedByIt() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .setClock(WeftClock.getInstance())
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
      long before = WeftClock.getInstance().now();
      Span span = provider.get("test").spanBuilder("jvm").startSpan();
      span.end();
      long afterEnd = WeftClock.getInstance().now();
      SpanData data = exporter.getFinishedSpanItems().get(0);
      assertThat(data.getStartEpochNanos()).isBetween(before, afterEnd);
      assertThat(data.getEndEpochNanos()).isBetween(data.getStartEpochNanos(), afterEnd);
      assertThat(provider.toString()).contains("WeftClock");
    }
  }
}
