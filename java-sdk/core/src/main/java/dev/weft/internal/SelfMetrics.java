package dev.weft.internal;

import dev.weft.internal.segment.NativeCounts;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import javax.annotation.Nullable;
import javax.annotation.concurrent.GuardedBy;

/**
 * The collector's counters as OpenTelemetry observable counters, read in one batch callback per
 * collection. Instrument names: {@code weft.spans.drained}, {@code weft.spans.exported},
 * {@code weft.spans.dropped} (attribute {@code weft.drop.reason}: {@code ring_full},
 * {@code reentrant}, {@code too_deep}, {@code no_slot}, {@code shutdown}, {@code queue_full}),
 * {@code weft.export.failures}, {@code weft.export.retries}, {@code weft.spans.redelivered},
 * {@code weft.records.corrupt}, {@code weft.records.unknown}; all from one consistent snapshot.
 *
 * <p>Registered at once on a given MeterProvider, or ({@link #whenGlobalIsSet}) on the global one
 * as soon as the application has set it, which it may do after the collector was built: the
 * collector thread calls {@link #registerIfGlobalSet()} periodically until it has registered.
 */
public final class SelfMetrics implements AutoCloseable {
  public static final String METER_NAME = "dev.weft";
  static final AttributeKey<String> REASON = AttributeKey.stringKey("weft.drop.reason");
  private static final Attributes RING_FULL = Attributes.of(REASON, "ring_full");
  private static final Attributes REENTRANT = Attributes.of(REASON, "reentrant");
  private static final Attributes TOO_DEEP = Attributes.of(REASON, "too_deep");
  private static final Attributes NO_SLOT = Attributes.of(REASON, "no_slot");
  private static final Attributes QUEUE_FULL = Attributes.of(REASON, "queue_full");
  private static final Attributes SHUTDOWN = Attributes.of(REASON, "shutdown");

  private final CollectorEngine engine;

  @GuardedBy("this")
  @Nullable
  private BatchCallback callback;

  @GuardedBy("this")
  private boolean closed;

  public SelfMetrics(MeterProvider meterProvider, CollectorEngine engine) {
    this.engine = engine;
    this.callback = register(meterProvider, engine);
  }

  private SelfMetrics(CollectorEngine engine) {
    this.engine = engine;
  }

  /**
   * Not registered yet: {@link #registerIfGlobalSet()} registers on
   * {@link GlobalOpenTelemetry#getMeterProvider()} once {@link GlobalOpenTelemetry#isSet()}
   * (never calling {@code GlobalOpenTelemetry.get()} before, which would set a no-op global).
   */
  public static SelfMetrics whenGlobalIsSet(CollectorEngine engine) {
    return new SelfMetrics(engine);
  }

  /** Registers on the global MeterProvider if it is set now; true once registered. */
  public synchronized boolean registerIfGlobalSet() {
    if (callback == null && !closed && GlobalOpenTelemetry.isSet()) {
      callback = register(GlobalOpenTelemetry.getMeterProvider(), engine);
    }
    return callback != null;
  }

  /** Whether the counters are registered on a MeterProvider. */
  public synchronized boolean isRegistered() {
    return callback != null;
  }

  private static BatchCallback register(MeterProvider meterProvider, CollectorEngine engine) {
    Meter meter = meterProvider.meterBuilder(METER_NAME).build();
    ObservableLongMeasurement drained = counter(meter, "weft.spans.drained",
        "Spans read from the native rings and decoded", "{span}");
    ObservableLongMeasurement exported = counter(meter, "weft.spans.exported",
        "Native spans exported successfully", "{span}");
    ObservableLongMeasurement dropped = counter(meter, "weft.spans.dropped",
        "Native spans dropped, by reason", "{span}");
    ObservableLongMeasurement failures = counter(meter, "weft.export.failures",
        "Native spans whose export failed", "{span}");
    ObservableLongMeasurement corrupt = counter(meter, "weft.records.corrupt",
        "Records rejected by validation", "{record}");
    ObservableLongMeasurement unknown = counter(meter, "weft.records.unknown",
        "Records of an unknown type, skipped", "{record}");
    ObservableLongMeasurement retries = counter(meter, "weft.export.retries",
        "Native spans in failed export attempts, retried", "{span}");
    ObservableLongMeasurement redelivered = counter(meter, "weft.spans.redelivered",
        "Native spans exported again after a collector died before their acknowledgement",
        "{span}");
    return meter.batchCallback(() -> {
      CounterSnapshot counters = engine.snapshot();
      NativeCounts natives = counters.natives;
      drained.record(counters.drained);
      exported.record(counters.exported);
      failures.record(counters.exportFailures);
      retries.record(counters.exportRetries);
      redelivered.record(counters.redelivered);
      corrupt.record(counters.corrupt);
      unknown.record(counters.unknown);
      dropped.record(natives.droppedRingFull, RING_FULL);
      dropped.record(natives.droppedReentrant, REENTRANT);
      dropped.record(natives.droppedTooDeep, TOO_DEEP);
      dropped.record(natives.droppedNoSlot, NO_SLOT);
      dropped.record(natives.droppedShutdown, SHUTDOWN);
      dropped.record(counters.queueOverflow, QUEUE_FULL);
    }, drained, exported, dropped, failures, corrupt, unknown, retries, redelivered);
  }

  private static ObservableLongMeasurement counter(Meter meter, String name, String description,
      String unit) {
    return meter.counterBuilder(name).setDescription(description).setUnit(unit).buildObserver();
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (callback != null) {
      callback.close();
    }
  }
}
