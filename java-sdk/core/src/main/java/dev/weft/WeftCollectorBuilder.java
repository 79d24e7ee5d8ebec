package dev.weft;

import dev.weft.internal.export.AutoConfiguredExport;
import dev.weft.internal.CollectorEngine;
import dev.weft.internal.profiling.ProcessContextPublisher;
import dev.weft.internal.segment.InvalidSegmentException;
import dev.weft.internal.SelfMetrics;
import dev.weft.internal.recovery.StartupRecovery;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Builds and starts a {@link WeftCollector}. Bad settings throw here; the environment is read
 * only for what is not set: the segment path ({@link WeftCollector#defaultSegmentPath()}) and,
 * when no exporter is given, OpenTelemetry's autoconfiguration.
 */
public final class WeftCollectorBuilder {
  /** Spans queued for export (decoded, not yet exported) at most: {@value}. */
  public static final int DEFAULT_MAX_QUEUE_SIZE = 8192;
  /** Spans per export request at most: {@value}. */
  public static final int DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;
  /** Export requests in flight at once at most: {@value}. */
  public static final int DEFAULT_MAX_CONCURRENT_EXPORTS = 4;
  /** A partial batch is exported after this many milliseconds: {@value}. */
  public static final long DEFAULT_SCHEDULE_DELAY_MILLIS = 200;
  /**
   * Close (and JVM shutdown) waits at most this many milliseconds (plus 250 ms of bookkeeping)
   * for the final drain and export, even with an unreachable backend: {@value}.
   */
  public static final long DEFAULT_CLOSE_TIMEOUT_MILLIS = 1_000;
  /** While the segment does not exist, look for it this often, in milliseconds: {@value}. */
  public static final long DEFAULT_SEGMENT_POLL_MILLIS = 100;
  /**
   * At close, after fencing this process's own segment, its ACTIVE slots' tails must be stable
   * this many milliseconds before the final drain: {@value}.
   */
  public static final long DEFAULT_SHUTDOWN_GRACE_MILLIS = 50;
  /** Idle strategy: busy-spin iterations after the last work: {@value}. */
  public static final int DEFAULT_IDLE_MAX_SPINS = 20;
  /** Idle strategy: {@link Thread#yield()} iterations after the spins: {@value}. */
  public static final int DEFAULT_IDLE_MAX_YIELDS = 10;
  /** Idle strategy: first park period, in microseconds: {@value}. */
  public static final long DEFAULT_IDLE_MIN_PARK_MICROS = 10;
  /** Idle strategy: longest park period, in milliseconds: {@value}. */
  public static final long DEFAULT_IDLE_MAX_PARK_MILLIS = 10;

  @Nullable private Path segmentPath;
  @Nullable private SpanExporter spanExporter;
  @Nullable private Resource resource;
  @Nullable private MeterProvider meterProvider;
  private int maxQueueSize = DEFAULT_MAX_QUEUE_SIZE;
  private int maxExportBatchSize = DEFAULT_MAX_EXPORT_BATCH_SIZE;
  private int maxConcurrentExports = DEFAULT_MAX_CONCURRENT_EXPORTS;
  private Duration scheduleDelay = Duration.ofMillis(DEFAULT_SCHEDULE_DELAY_MILLIS);
  private Duration closeTimeout = Duration.ofMillis(DEFAULT_CLOSE_TIMEOUT_MILLIS);
  private Duration segmentPollInterval = Duration.ofMillis(DEFAULT_SEGMENT_POLL_MILLIS);
  private int idleMaxSpins = DEFAULT_IDLE_MAX_SPINS;
  private int idleMaxYields = DEFAULT_IDLE_MAX_YIELDS;
  private Duration idleMinPark = Duration.ofNanos(DEFAULT_IDLE_MIN_PARK_MICROS * 1000);
  private Duration idleMaxPark = Duration.ofMillis(DEFAULT_IDLE_MAX_PARK_MILLIS);
  private boolean dropWhenQueueFull;
  private Duration shutdownGracePeriod = Duration.ofMillis(DEFAULT_SHUTDOWN_GRACE_MILLIS);
  private Duration exportRetryMaxBackoff =
      Duration.ofMillis(dev.weft.internal.export.ExportPipeline.DEFAULT_RETRY_MAX_BACKOFF_MILLIS);
  private boolean registerShutdownHook = true;
  @Nullable private Boolean recoveryEnabled;
  @Nullable private Path recoveryDirectory;

  /** System property turning the start-up recovery of dead segments on or off: {@value}. */
  public static final String RECOVERY_ENABLED_PROPERTY = "weft.recovery.enabled";
  /**
   * The close timeout of a collector that autoconfiguration starts (the SDK's or the OpenTelemetry
   * agent's), as an OpenTelemetry duration ({@code 30s}, {@code 1500ms}; a bare number is
   * milliseconds): {@value} / {@code WEFT_COLLECTOR_CLOSE_TIMEOUT}. Default {@value
   * #DEFAULT_CLOSE_TIMEOUT_MILLIS} ms.
   */
  public static final String CLOSE_TIMEOUT_PROPERTY = "weft.collector.close.timeout";
  /** Environment variable read when {@value #RECOVERY_ENABLED_PROPERTY} is not set: {@value}. */
  public static final String RECOVERY_ENABLED_ENV = "WEFT_RECOVERY_ENABLED";

  WeftCollectorBuilder() {}

  /** Reads this segment instead of {@link WeftCollector#defaultSegmentPath()}. */
  public WeftCollectorBuilder setSegmentPath(Path segmentPath) {
    this.segmentPath = Objects.requireNonNull(segmentPath, "segmentPath");
    return this;
  }

  /**
   * Exports through this exporter instead of the autoconfigured OTLP one. The collector does not
   * shut it down on close (its owner does); it does wait for its exports to finish.
   */
  public WeftCollectorBuilder setSpanExporter(SpanExporter spanExporter) {
    this.spanExporter = Objects.requireNonNull(spanExporter, "spanExporter");
    return this;
  }

  /**
   * The resource of the exported spans, normally the application's own. Default: the resource
   * OpenTelemetry autoconfiguration computes ({@code OTEL_SERVICE_NAME},
   * {@code OTEL_RESOURCE_ATTRIBUTES}, ...).
   */
  public WeftCollectorBuilder setResource(Resource resource) {
    this.resource = Objects.requireNonNull(resource, "resource");
    return this;
  }

  /**
   * Where the self-telemetry counters are registered. Default: the global MeterProvider, as soon
   * as the application has set the global OpenTelemetry, before or after {@link #build()} (the
   * collector thread checks {@code GlobalOpenTelemetry.isSet()} about every 100 ms until then;
   * it never calls {@code GlobalOpenTelemetry.get()}, which would install a no-op global).
   */
  public WeftCollectorBuilder setMeterProvider(MeterProvider meterProvider) {
    this.meterProvider = Objects.requireNonNull(meterProvider, "meterProvider");
    return this;
  }

  /** Spans decoded but not yet exported, at most. Default {@value #DEFAULT_MAX_QUEUE_SIZE}. */
  public WeftCollectorBuilder setMaxQueueSize(int maxQueueSize) {
    checkArgument(maxQueueSize > 0, "maxQueueSize must be positive");
    this.maxQueueSize = maxQueueSize;
    return this;
  }

  /** Spans per export, at most. Default {@value #DEFAULT_MAX_EXPORT_BATCH_SIZE}. */
  public WeftCollectorBuilder setMaxExportBatchSize(int maxExportBatchSize) {
    checkArgument(maxExportBatchSize > 0, "maxExportBatchSize must be positive");
    this.maxExportBatchSize = maxExportBatchSize;
    return this;
  }

  /** Exports in flight at once, at most. Default {@value #DEFAULT_MAX_CONCURRENT_EXPORTS}. */
  public WeftCollectorBuilder setMaxConcurrentExports(int maxConcurrentExports) {
    checkArgument(maxConcurrentExports > 0, "maxConcurrentExports must be positive");
    this.maxConcurrentExports = maxConcurrentExports;
    return this;
  }

  /** A partial batch is exported after this delay. Default {@value #DEFAULT_SCHEDULE_DELAY_MILLIS} ms. */
  public WeftCollectorBuilder setScheduleDelay(Duration scheduleDelay) {
    checkArgument(!scheduleDelay.isNegative(), "scheduleDelay must not be negative");
    this.scheduleDelay = scheduleDelay;
    return this;
  }

  /**
   * How long close and JVM shutdown wait for the final drain and export; exports unanswered by
   * then are given up. Default {@value #DEFAULT_CLOSE_TIMEOUT_MILLIS} ms.
   */
  public WeftCollectorBuilder setCloseTimeout(Duration closeTimeout) {
    checkArgument(!closeTimeout.isNegative(), "closeTimeout must not be negative");
    this.closeTimeout = closeTimeout;
    return this;
  }

  /** How often to look for a segment that does not exist yet. Default {@value #DEFAULT_SEGMENT_POLL_MILLIS} ms. */
  public WeftCollectorBuilder setSegmentPollInterval(Duration segmentPollInterval) {
    checkArgument(segmentPollInterval.toNanos() > 0, "segmentPollInterval must be positive");
    this.segmentPollInterval = segmentPollInterval;
    return this;
  }

  /**
   * The idle strategy once the rings are empty: spin {@code maxSpins} times, yield
   * {@code maxYields} times, then park for periods doubling from {@code minPark} to
   * {@code maxPark}. A pass that drained rings filled past a quarter of their capacity resets
   * it to spinning; a pass that drained less keeps parking, with a period that adapts to how
   * full the rings were (so a trickle of spans costs about one wake-up per {@code maxPark}).
   */
  public WeftCollectorBuilder setIdleStrategy(int maxSpins, int maxYields, Duration minPark,
      Duration maxPark) {
    checkArgument(maxSpins >= 0 && maxYields >= 0, "spins and yields must not be negative");
    checkArgument(minPark.toNanos() > 0 && maxPark.compareTo(minPark) >= 0,
        "need 0 < minPark <= maxPark");
    this.idleMaxSpins = maxSpins;
    this.idleMaxYields = maxYields;
    this.idleMinPark = minPark;
    this.idleMaxPark = maxPark;
    return this;
  }

  /**
   * What a full queue does. {@code false} (default): back-pressure, the collector stops draining
   * and records wait in the native rings (if those fill, the native side drops and counts them
   * as ring-full). {@code true}: the span is dropped and counted in
   * {@link WeftStats#queueOverflow()}, as the SDK's BatchSpanProcessor does.
   */
  public WeftCollectorBuilder setDropWhenQueueFull(boolean dropWhenQueueFull) {
    this.dropWhenQueueFull = dropWhenQueueFull;
    return this;
  }

  /**
   * At the JVM's shutdown, the segment of this process's own libweft is fenced (spans
   * ended from then on are counted in {@link WeftStats#droppedShutdown()}, not recorded); the
   * final drain starts once the tails of its active threads' rings have been stable this long.
   * Default {@value #DEFAULT_SHUTDOWN_GRACE_MILLIS} ms; it counts against the close timeout.
   */
  public WeftCollectorBuilder setShutdownGracePeriod(Duration shutdownGracePeriod) {
    checkArgument(!shutdownGracePeriod.isNegative(), "shutdownGracePeriod must not be negative");
    this.shutdownGracePeriod = shutdownGracePeriod;
    return this;
  }

  /**
   * A failed export is retried (nothing read is dropped while the collector runs) after a wait
   * doubling from 100 ms up to this. Default {@value
   * dev.weft.internal.export.ExportPipeline#DEFAULT_RETRY_MAX_BACKOFF_MILLIS} ms.
   */
  public WeftCollectorBuilder setExportRetryMaxBackoff(Duration exportRetryMaxBackoff) {
    checkArgument(exportRetryMaxBackoff.toMillis() >= 100,
        "exportRetryMaxBackoff must be at least 100 ms");
    this.exportRetryMaxBackoff = exportRetryMaxBackoff;
    return this;
  }

  /** Whether a JVM shutdown hook closes the collector. Default true. */
  public WeftCollectorBuilder setRegisterShutdownHook(boolean registerShutdownHook) {
    this.registerShutdownHook = registerShutdownHook;
    return this;
  }

  /**
   * Whether the collector, once started, recovers the segments that dead processes of this user
   * left in the shm directory (their undrained spans, and the spans open at their death marked
   * {@code weft.span.end_reason=process_died}, each under its own process's Resource), on a
   * thread of its own that never delays the application (docs/architecture.md "Crash
   * recovery"). Default: the system property {@value #RECOVERY_ENABLED_PROPERTY}, else the
   * environment variable {@value #RECOVERY_ENABLED_ENV}, else true.
   */
  public WeftCollectorBuilder setRecoveryEnabled(boolean recoveryEnabled) {
    this.recoveryEnabled = recoveryEnabled;
    return this;
  }

  /**
   * The directory whose dead segments are recovered at start. Default {@code $WEFT_SHM_DIR}, else
   * {@value WeftCollector#DEFAULT_SHM_DIR}.
   */
  public WeftCollectorBuilder setRecoveryDirectory(Path recoveryDirectory) {
    this.recoveryDirectory = Objects.requireNonNull(recoveryDirectory, "recoveryDirectory");
    return this;
  }

  boolean recoveryEnabled() {
    if (recoveryEnabled != null) {
      return recoveryEnabled;
    }
    String value = System.getProperty(RECOVERY_ENABLED_PROPERTY);
    if (value == null || value.isBlank()) {
      value = System.getenv(RECOVERY_ENABLED_ENV);
    }
    return value == null || value.isBlank() || !value.trim().equalsIgnoreCase("false");
  }

  Path recoveryDirectory() {
    if (recoveryDirectory != null) {
      return recoveryDirectory;
    }
    String dir = System.getenv(WeftCollector.SHM_DIR_ENV);
    return Path.of(dir == null || dir.isEmpty() ? WeftCollector.DEFAULT_SHM_DIR : dir);
  }

  /**
   * Starts the collector thread.
   *
   * @throws IllegalStateException if a file exists at the segment path and is refused (wrong
   *     owner, permissions, magic, version, byte order or sizes), or if another collector of this
   *     JVM reads it (for instance the one an autoconfigured SDK started); the message says why
   */
  public WeftCollector build() {
    Path path = segmentPath != null ? segmentPath : WeftCollector.defaultSegmentPath();
    WeftCollector.claim(path);
    try {
      return start(path);
    } catch (RuntimeException | Error e) {
      WeftCollector.release(path);
      throw e;
    }
  }

  private WeftCollector start(Path path) {
    AutoConfiguredExport owned = null;
    SpanExporter exporter = spanExporter;
    Resource spanResource = resource;
    if (exporter == null) {
      owned = AutoConfiguredExport.create();
      owned.connectAhead();
      exporter = owned.exporter();
      if (spanResource == null) {
        spanResource = owned.resource();
      }
    }
    if (spanResource == null) {
      spanResource = Resource.getDefault()
          .merge(io.opentelemetry.sdk.autoconfigure.ResourceConfiguration
              .createEnvironmentResource());
    }
    if (path.equals(WeftCollector.defaultSegmentPath())) {
      // this process's own native spans: profilers get the same Resource (OTEP 4719)
      ProcessContextPublisher.publish(spanResource);
    }
    CollectorEngine.Settings settings = new CollectorEngine.Settings();
    settings.segmentPath = path;
    settings.resource = spanResource;
    settings.exporter = exporter;
    settings.maxQueueSize = maxQueueSize;
    settings.maxExportBatchSize = Math.min(maxExportBatchSize, maxQueueSize);
    settings.maxConcurrentExports = maxConcurrentExports;
    settings.scheduleDelayNanos = scheduleDelay.toNanos();
    settings.dropWhenQueueFull = dropWhenQueueFull;
    settings.closeTimeoutNanos = closeTimeout.toNanos();
    settings.segmentPollNanos = segmentPollInterval.toNanos();
    settings.idleMaxSpins = idleMaxSpins;
    settings.idleMaxYields = idleMaxYields;
    settings.idleMinParkNanos = idleMinPark.toNanos();
    settings.idleMaxParkNanos = idleMaxPark.toNanos();
    settings.shutdownGraceNanos = shutdownGracePeriod.toNanos();
    settings.retryMaxBackoffNanos = exportRetryMaxBackoff.toNanos();
    CollectorEngine engine = new CollectorEngine(settings, "weft-collector");
    try {
      engine.attachNow();
    } catch (InvalidSegmentException e) {
      if (owned != null) {
        owned.shutdown();
      }
      throw new IllegalStateException("weft: " + e.getMessage(), e);
    }
    MeterProvider metrics = meterProvider;
    if (metrics == null && GlobalOpenTelemetry.isSet()) {
      metrics = GlobalOpenTelemetry.getMeterProvider();
    }
    SelfMetrics selfMetrics;
    if (metrics != null) {
      selfMetrics = new SelfMetrics(metrics, engine);
    } else {
      // The application may set the global OpenTelemetry after this: register then.
      selfMetrics = SelfMetrics.whenGlobalIsSet(engine);
      engine.setPeriodicTask(selfMetrics::registerIfGlobalSet);
    }
    WeftCollector collector =
        new WeftCollector(engine, owned, selfMetrics, registerShutdownHook);
    engine.start();
    if (recoveryEnabled()) {
      collector.setStartupRecovery(StartupRecovery.start(recoveryDirectory(), exporter,
          WeftCollector::isClaimed));
    }
    return collector;
  }

  private static void checkArgument(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
