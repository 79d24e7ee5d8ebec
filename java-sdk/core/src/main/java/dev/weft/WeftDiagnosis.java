package dev.weft;

import dev.weft.internal.jni.LibraryLoader;
import dev.weft.internal.jni.WeftJni;
import dev.weft.internal.profiling.ThreadContextStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import javax.annotation.concurrent.Immutable;

/**
 * What Weft is doing in this process, and every reason it may be doing nothing, each with its
 * fix: returned by {@link Weft#diagnose()}. {@link #toString()} is a readable multi-line report,
 * {@link #summary()} one line (logged at start when {@code -Dweft.debug} or {@code WEFT_DEBUG}
 * is set).
 *
 * <pre>{@code
 * System.err.println(Weft.diagnose());
 * }</pre>
 */
@Immutable
public final class WeftDiagnosis {
  /** The native side's state, as libweft reports it ({@code weft_get_status}). */
  public enum NativeState {
    /** libweft is not loaded in the JVM, so its state is unknown ({@link #libweftError()}). */
    LIBWEFT_NOT_LOADED,
    /** No native span, no {@code weft_init} and no {@link Weft#enterNative()} yet. */
    NOT_STARTED,
    /** Recording into a segment. */
    RUNNING,
    /** Ran, then the last {@code weft_shutdown}. */
    SHUT_DOWN,
    /** The start on the first span or attach failed ({@link #nativeStartError()}). */
    FAILED,
    /** {@code WEFT_ENABLED=false}. */
    DISABLED,
    /** This libweft is older than the Java SDK and cannot say. */
    UNKNOWN
  }

  /** A {@link WeftCollector} running in this JVM. */
  @Immutable
  public static final class Collector {
    private final Path segmentPath;
    private final boolean attached;
    @Nullable private final String segmentRefusal;
    private final WeftStats stats;

    Collector(Path segmentPath, boolean attached, @Nullable String segmentRefusal,
        WeftStats stats) {
      this.segmentPath = segmentPath;
      this.attached = attached;
      this.segmentRefusal = segmentRefusal;
      this.stats = stats;
    }

    /** The segment it drains (or waits for). */
    public Path segmentPath() {
      return segmentPath;
    }

    /** Whether it is attached to a valid segment now. */
    public boolean isAttached() {
      return attached;
    }

    /** Why the file at its path was refused, or null. */
    @Nullable
    public String segmentRefusal() {
      return segmentRefusal;
    }

    /** Its counters: spans committed, drained, exported, dropped, export failures. */
    public WeftStats stats() {
      return stats;
    }

    @Override
    public String toString() {
      return "collector on " + segmentPath + (attached ? " (attached)" : " (waiting for it)")
          + (segmentRefusal != null ? ", refused: " + segmentRefusal : "") + ": " + stats;
    }
  }

  /**
   * What profilers and other out-of-process readers see of this process (docs/architecture.md
   * "Profilers"): the OpenTelemetry process context (OTEP 4719) and thread context (OTEP 4947),
   * for native spans and for JVM spans, and why not, with the fix when Weft yielded to another
   * writer.
   */
  @Immutable
  public static final class Profilers {
    /** Whether JVM spans are published in the thread context, and by what. */
    public enum JvmSpans {
      /** Not asked for ({@code weft.threadctx.java} is off by default). */
      OFF,
      /** By {@link Weft#publishThreadContext()} (the SDK's context storage, wrapped). */
      ON,
      /** By the Weft extension, from the OpenTelemetry Java agent's context storage. */
      ON_UNDER_OTEL_AGENT,
      /** Asked for, but libweft publishes no thread context ({@link #threadContextReason()}). */
      UNAVAILABLE
    }

    private final boolean known;
    private final boolean processContext;
    private final boolean processContextFromJvm;
    @Nullable private final String processContextReason;
    private final boolean threadContext;
    @Nullable private final String threadContextReason;
    private final JvmSpans jvmSpans;

    Profilers(boolean known, boolean processContext, boolean processContextFromJvm,
        @Nullable String processContextReason, boolean threadContext,
        @Nullable String threadContextReason, JvmSpans jvmSpans) {
      this.known = known;
      this.processContext = processContext;
      this.processContextFromJvm = processContextFromJvm;
      this.processContextReason = processContextReason;
      this.threadContext = threadContext;
      this.threadContextReason = threadContextReason;
      this.jvmSpans = Objects.requireNonNull(jvmSpans);
    }

    /** Whether libweft could say (false: not loaded, or older than this SDK). */
    public boolean isKnown() {
      return known;
    }

    /** Whether the process context (the Resource, OTEP 4719) is published now. */
    public boolean processContextPublished() {
      return processContext;
    }

    /** Whether it carries the JVM's Resource (else the native side's). */
    public boolean processContextFromJvm() {
      return processContextFromJvm;
    }

    /** Why the process context is not published, or null. */
    @Nullable
    public String processContextReason() {
      return processContextReason;
    }

    /** Whether libweft publishes native spans through {@code otel_thread_ctx_v1} (OTEP 4947). */
    public boolean threadContext() {
      return threadContext;
    }

    /** Why it does not (turned off, or yielded to another writer, and the fix), or null. */
    @Nullable
    public String threadContextReason() {
      return threadContextReason;
    }

    /** Whether JVM spans are published in the thread context. */
    public JvmSpans jvmSpans() {
      return jvmSpans;
    }

    /**
     * Whether Weft left a context to another writer in this process (another definition of
     * {@code otel_thread_ctx_v1}, or another OTEL_CTX mapping), at start or since.
     */
    public boolean yielded() {
      return (threadContextReason != null && threadContextReason.startsWith("another "))
          || (processContextReason != null && processContextReason.startsWith("another "));
    }

    /** One clause for {@link #summary()}. */
    String brief() {
      if (!known) {
        return "profilers unknown";
      }
      return "profilers: process context " + (processContext ? "on" : "off")
          + ", thread context " + (threadContext ? "on" : "off") + " (JVM spans "
          + (jvmSpans == JvmSpans.ON || jvmSpans == JvmSpans.ON_UNDER_OTEL_AGENT ? "on" : "off")
          + ")" + (yielded() ? ", yielded to another writer" : "");
    }

    @Override
    public String toString() {
      if (!known) {
        return "  profilers: unknown (libweft is not loaded, or is older than this SDK)\n";
      }
      StringBuilder b = new StringBuilder("  profilers (docs/architecture.md \"Profilers\"):\n");
      b.append("    process context (OTEP 4719): ").append(processContext
          ? "published, with the " + (processContextFromJvm ? "JVM's" : "native side's")
              + " Resource"
          : (yielded(processContextReason) ? "YIELDED: " : "not published: ")
              + processContextReason
              + (yielded(processContextReason) ? "; to have Weft publish it, remove the other"
                  + " writer of the process context" : "")).append('\n');
      b.append("    thread context (OTEP 4947), native spans: ").append(threadContext ? "on"
          : (yielded(threadContextReason) ? "YIELDED: " : "off: ") + threadContextReason)
          .append('\n');
      b.append("    thread context, JVM spans: ");
      switch (jvmSpans) {
        case ON:
          b.append("on (Weft.publishThreadContext())");
          break;
        case ON_UNDER_OTEL_AGENT:
          b.append("on (the OpenTelemetry agent's context storage)");
          break;
        case UNAVAILABLE:
          b.append("off: the thread context is off in libweft (above)");
          break;
        default:
          b.append(threadContext ? "off (the default; to publish them set -D"
              + Weft.THREAD_CONTEXT_PROPERTY + "=true or WEFT_THREADCTX_JAVA=true, or call"
              + " Weft.publishThreadContext() first in main)" : "off");
      }
      return b.append('\n').toString();
    }

    private static boolean yielded(@Nullable String reason) {
      return reason != null && reason.startsWith("another ");
    }
  }

  private final List<Path> libweftCopies;
  @Nullable private final Path loadedLibweft;
  @Nullable private final String libweftError;
  private final NativeState nativeState;
  private final boolean startedLazily;
  private final int scopeCount;
  @Nullable private final String nativeStartError;
  private final long nativeSpansCommitted;
  private final long nativeSpansDropped;
  @Nullable private final Path segmentPath;
  private final boolean segmentExists;
  @Nullable private final WeftSegmentSnapshot.State segmentState;
  private final long segmentSize;
  private final List<Collector> collectors;
  @Nullable private final String lastExportError;
  private final List<Problem> problems;
  private final Profilers profilers;

  /** One way Weft does nothing: a stable key (so it is logged once) and the message with the fix. */
  static final class Problem {
    final String key;
    final String message;

    Problem(String key, String message) {
      this.key = key;
      this.message = message;
    }
  }

  WeftDiagnosis(List<Path> libweftCopies, @Nullable Path loadedLibweft,
      @Nullable String libweftError, NativeState nativeState, boolean startedLazily,
      int scopeCount, @Nullable String nativeStartError, long nativeSpansCommitted,
      long nativeSpansDropped, @Nullable Path segmentPath, boolean segmentExists,
      @Nullable WeftSegmentSnapshot.State segmentState, long segmentSize,
      List<Collector> collectors, @Nullable String lastExportError, List<Problem> problems,
      Profilers profilers) {
    this.libweftCopies = List.copyOf(libweftCopies);
    this.loadedLibweft = loadedLibweft;
    this.libweftError = libweftError;
    this.nativeState = Objects.requireNonNull(nativeState);
    this.startedLazily = startedLazily;
    this.scopeCount = scopeCount;
    this.nativeStartError = nativeStartError;
    this.nativeSpansCommitted = nativeSpansCommitted;
    this.nativeSpansDropped = nativeSpansDropped;
    this.segmentPath = segmentPath;
    this.segmentExists = segmentExists;
    this.segmentState = segmentState;
    this.segmentSize = segmentSize;
    this.collectors = List.copyOf(collectors);
    this.lastExportError = lastExportError;
    this.problems = List.copyOf(problems);
    this.profilers = Objects.requireNonNull(profilers);
  }

  /** What profilers see of this process: the OpenTelemetry process and thread contexts. */
  public Profilers profilers() {
    return profilers;
  }

  /** Whether a libweft is mapped into this process ({@code /proc/self/maps}). */
  public boolean libweftMapped() {
    return !libweftCopies.isEmpty();
  }

  /** The distinct libweft files mapped into this process; more than one is an error. */
  public List<Path> libweftCopies() {
    return libweftCopies;
  }

  /** The libweft the JVM side is bound to, or null if it could not load one. */
  @Nullable
  public Path loadedLibweft() {
    return loadedLibweft;
  }

  /** Why libweft could not be loaded (with the paths tried and the fix), or null. */
  @Nullable
  public String libweftError() {
    return libweftError;
  }

  /** The native side's state. */
  public NativeState nativeState() {
    return nativeState;
  }

  /** Whether some native code (or the JVM's first attach) has started Weft in this process. */
  public boolean nativeInitialised() {
    return nativeState == NativeState.RUNNING || nativeState == NativeState.SHUT_DOWN;
  }

  /** Whether Weft was started by a first span or attach rather than {@code weft_init}. */
  public boolean startedLazily() {
    return startedLazily;
  }

  /** Instrumentation scopes (native libraries' tracers) registered; 0: no native span yet. */
  public int scopeCount() {
    return scopeCount;
  }

  /** Why the native start failed and the fix, or null. */
  @Nullable
  public String nativeStartError() {
    return nativeStartError;
  }

  /** Spans native code committed to this process's segment, or -1 if unknown. */
  public long nativeSpansCommitted() {
    return nativeSpansCommitted;
  }

  /** Spans native code dropped (full ring, re-entered, too deep, no slot), or -1 if unknown. */
  public long nativeSpansDropped() {
    return nativeSpansDropped;
  }

  /** The segment native code records into (or would, by default), or null if unknown. */
  @Nullable
  public Path segmentPath() {
    return segmentPath;
  }

  /** Whether the segment file exists. */
  public boolean segmentExists() {
    return segmentExists;
  }

  /** The segment's state word, or null if it does not exist or is not a valid segment. */
  @Nullable
  public WeftSegmentSnapshot.State segmentState() {
    return segmentState;
  }

  /** The segment file's size in bytes, or -1 if it does not exist. */
  public long segmentSize() {
    return segmentSize;
  }

  /** The {@link WeftCollector}s running in this JVM. */
  public List<Collector> collectors() {
    return collectors;
  }

  /** Whether a collector in this JVM is attached to the segment and draining it. */
  public boolean collectorDraining() {
    for (Collector c : collectors) {
      if (c.isAttached() && (segmentPath == null || c.segmentPath().equals(segmentPath))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The last export error a collector saw, or null if none is known. Filled from the
   * collector's statistics where they carry it.
   */
  @Nullable
  public String lastExportError() {
    return lastExportError;
  }

  /** Every reason Weft is doing nothing (or losing spans), each with its fix; empty if none. */
  public List<String> problems() {
    List<String> messages = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      messages.add(p.message);
    }
    return List.copyOf(messages);
  }

  List<Problem> problemList() {
    return problems;
  }

  /** Whether nothing is wrong. */
  public boolean isHealthy() {
    return problems.isEmpty();
  }

  /** One line: libweft, native state, segment, collectors, problem count. */
  public String summary() {
    StringBuilder b = new StringBuilder("weft: ");
    b.append(loadedLibweft != null ? "libweft " + loadedLibweft
        : libweftCopies.isEmpty() ? "libweft not loaded" : "libweft mapped " + libweftCopies);
    b.append(", native ").append(nativeState);
    if (nativeInitialised()) {
      b.append(startedLazily ? " (started by the first span/attach)" : " (weft_init)");
    }
    if (nativeSpansCommitted >= 0) {
      b.append(", ").append(nativeSpansCommitted).append(" spans recorded");
    }
    b.append(", segment ").append(segmentPath)
        .append(segmentExists ? " " + segmentState : " (absent)");
    b.append(", ").append(collectors.size()).append(collectors.size() == 1 ? " collector" :
        " collectors");
    b.append(", ").append(profilers.brief());
    b.append(problems.isEmpty() ? ", OK" : ", " + problems.size()
        + (problems.size() == 1 ? " problem" : " problems") + " (Weft.diagnose())");
    return b.toString();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("Weft diagnosis\n");
    b.append("  libweft mapped: ").append(libweftCopies.isEmpty() ? "no" : libweftCopies.size()
        + (libweftCopies.size() == 1 ? " copy " : " copies ") + libweftCopies).append('\n');
    b.append("  libweft loaded by the JVM: ")
        .append(loadedLibweft != null ? loadedLibweft : "no (" + libweftError + ")").append('\n');
    b.append("  native side: ").append(nativeState);
    if (nativeInitialised()) {
      b.append(startedLazily ? ", started by the first span or attach" : ", started by weft_init");
    }
    b.append(", ").append(scopeCount).append(" instrumentation scope(s)\n");
    if (nativeStartError != null) {
      b.append("  native start error: ").append(nativeStartError).append('\n');
    }
    if (nativeSpansCommitted >= 0) {
      b.append("  native spans: ").append(nativeSpansCommitted).append(" recorded, ")
          .append(nativeSpansDropped).append(" dropped\n");
    }
    b.append("  segment: ").append(segmentPath).append(segmentExists
        ? ", " + segmentState + ", " + segmentSize + " bytes" : ", does not exist").append('\n');
    if (collectors.isEmpty()) {
      b.append("  collectors in this JVM: none\n");
    }
    for (Collector c : collectors) {
      b.append("  ").append(c).append('\n');
    }
    if (lastExportError != null) {
      b.append("  last export error: ").append(lastExportError).append('\n');
    }
    b.append(profilers);
    if (problems.isEmpty()) {
      b.append("  problems: none\n");
    }
    for (Problem p : problems) {
      b.append("  PROBLEM: ").append(p.message).append('\n');
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ collection

  /**
   * Looks at everything. {@code loaded}: the libweft the JVM is bound to (WeftJni usable), or
   * null with {@code loadError} saying why; {@code jvmAttached}: whether Weft.enterNative has
   * attached a JVM span at least once.
   */
  static WeftDiagnosis collect(@Nullable Path loaded, @Nullable String loadError,
      boolean jvmAttached) {
    List<Path> copies = LibraryLoader.mappedLibweft();
    NativeState state = NativeState.LIBWEFT_NOT_LOADED;
    boolean lazily = false;
    int scopes = 0;
    String startError = null;
    long committed = -1;
    long dropped = -1;
    Path segment = null;
    if (loaded != null) {
      try {
        int status = WeftJni.status();
        state = nativeState(status & 0xff);
        lazily = (status & 0x100) != 0;
        scopes = status >>> 16;
        startError = WeftJni.statusMessage();
        long[] stats = new long[5];
        if (WeftJni.nativeStats(stats)) {
          committed = stats[0];
          dropped = stats[1] + stats[2] + stats[3] + stats[4];
        }
      } catch (UnsatisfiedLinkError e) {
        state = NativeState.UNKNOWN; // a libweft older than this SDK
      }
      String path = WeftJni.segmentPath();
      if (path != null) {
        segment = Path.of(path);
      }
    }
    List<Collector> collectors = new ArrayList<>();
    for (WeftCollector c : WeftCollector.running()) {
      collectors.add(new Collector(c.segmentPath(), c.isAttached(), c.segmentRefusal(),
          c.stats()));
    }
    if (segment == null) {
      segment = !collectors.isEmpty() ? collectors.get(0).segmentPath()
          : WeftCollector.defaultSegmentPath();
    }
    boolean exists = Files.isRegularFile(segment);
    long size = -1;
    WeftSegmentSnapshot.State segmentState = null;
    if (exists) {
      try {
        size = Files.size(segment);
        segmentState = segmentState(segment);
      } catch (IOException e) {
        segmentState = null; // unreadable: the collector's refusal says why
      }
    }
    long exportFailures = 0;
    for (Collector c : collectors) {
      if (committed < 0 && c.segmentPath().equals(segment)) {
        committed = c.stats().spansCommitted();
      }
      exportFailures += c.stats().exportFailures();
    }
    String lastExportError = lastExportError(collectors);
    List<Problem> problems = new ArrayList<>();
    if (loaded == null && loadError != null) {
      problems.add(new Problem(loadError.contains("instances of libweft") ? "duplicate"
          : "not-loaded", loadError));
    }
    if (state == NativeState.FAILED) {
      problems.add(new Problem("native-failed", startError != null ? startError
          : "weft: the native side failed to start (see the process's stderr)"));
    } else if (state == NativeState.DISABLED) {
      problems.add(new Problem("native-disabled", "weft: native recording is disabled by"
          + " WEFT_ENABLED=false in this process's environment: unset it to record native spans"));
    } else if (state == NativeState.SHUT_DOWN) {
      problems.add(new Problem("native-shut-down", "weft: the native side was shut down"
          + " (weft_shutdown): spans begun after it are not recorded; call weft_shutdown only"
          + " when your library unloads"));
    } else if (state == NativeState.NOT_STARTED && !collectors.isEmpty()) {
      problems.add(new Problem("native-not-started", "weft: no native code has recorded a span"
          + " in this process yet (libweft " + loaded + " is loaded but not started), while a"
          + " WeftCollector waits for " + segment + ". If your library records spans, check"
          + " that it links this libweft (ldd your library: libweft.so.0) and that it runs"
          + " inside Weft.enterNative() or under the Weft agent"));
    } else if (state == NativeState.RUNNING && jvmAttached && scopes == 0 && committed == 0) {
      problems.add(new Problem("native-never-recorded", "weft: Weft.enterNative() attached JVM"
          + " spans to native calls, but no native code has begun a span in this process's"
          + " libweft (" + loaded + "). If your library records spans it uses another copy of"
          + " Weft: link it against the shared libweft.so.0 (not libweft.a), ship one copy,"
          + " and check with ldd"));
    }
    for (Collector c : collectors) {
      if (!c.isAttached() && !Files.exists(c.segmentPath())) {
        String where = state == NativeState.RUNNING && !segment.equals(c.segmentPath())
            ? " Native code records into " + segment + ": give the collector the same"
                + " WEFT_SHM_DIR and WEFT_SHM_NAME, or setSegmentPath(" + segment + ")"
            : " No native code started Weft in this process yet (the first native span or"
                + " Weft.enterNative() creates it), or WEFT_SHM_DIR/WEFT_SHM_NAME differ"
                + " between the native side and the collector";
        problems.add(new Problem("no-segment:" + c.segmentPath(), "weft: the WeftCollector"
            + " waits for the segment " + c.segmentPath() + ", which does not exist." + where));
      } else if (c.segmentRefusal() != null) {
        problems.add(new Problem("refused:" + c.segmentPath(), "weft: the WeftCollector"
            + " refused " + c.segmentPath() + ": " + c.segmentRefusal()));
      }
    }
    long atClose = WeftCollector.committedAtClose(segment);
    if (committed > 0 && collectors.isEmpty() && atClose < 0) {
      problems.add(new Problem("no-collector", "weft: native code recorded " + committed
          + " spans into " + segment + " but no WeftCollector runs in this JVM, so nothing"
          + " drains or exports them. Start one (try (WeftCollector c ="
          + " WeftCollector.builder().build()) { ... }) or run with the Weft Java agent"));
    } else if (atClose >= 0 && committed > atClose && collectors.isEmpty()) {
      // a collector drained this segment and closed; what native code recorded since waits
      problems.add(new Problem("recorded-after-close", "weft: native code recorded "
          + (committed - atClose) + " spans into " + segment + " after this JVM's"
          + " WeftCollector closed, and no collector drains them now. Close the collector"
          + " (or the OpenTelemetry SDK that runs it) after the native work ends, or start a"
          + " new one"));
    }
    if (exportFailures > 0) {
      problems.add(new Problem("export-failures", "weft: " + exportFailures + " native spans"
          + " failed to export" + (lastExportError != null ? " (last error: " + lastExportError
          + ")" : "") + ": check the exporter's endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) and that"
          + " the backend is reachable"));
    }
    return new WeftDiagnosis(copies, loaded, loadError, state, lazily, scopes, startError,
        committed, dropped, segment, exists, segmentState, size, collectors, lastExportError,
        problems, profilers(loaded));
  }

  /** The profiler status from libweft ({@code weft_otel_get_status}), if it is loaded. */
  private static Profilers profilers(@Nullable Path loaded) {
    Profilers.JvmSpans jvm = ThreadContextStorage.isPublishing() ? Profilers.JvmSpans.ON
        : ThreadContextStorage.isPublishingUnderAgent() ? Profilers.JvmSpans.ON_UNDER_OTEL_AGENT
        : ThreadContextStorage.isWrapped() ? Profilers.JvmSpans.UNAVAILABLE
        : Profilers.JvmSpans.OFF;
    if (loaded == null) {
      return new Profilers(false, false, false, null, false, null, jvm);
    }
    try {
      int status = WeftJni.otelStatus();
      if (status < 0) {
        return new Profilers(false, false, false, null, false, null, jvm);
      }
      boolean thread = (status & 1) != 0;
      if (!thread && jvm != Profilers.JvmSpans.OFF) {
        jvm = Profilers.JvmSpans.UNAVAILABLE;
      }
      return new Profilers(true, (status & 2) != 0, (status & 4) != 0,
          WeftJni.otelContextMessage(true), thread, WeftJni.otelContextMessage(false), jvm);
    } catch (UnsatisfiedLinkError e) {
      return new Profilers(false, false, false, null, false, null, jvm); // an older libweft
    }
  }

  /** The most recent export error of the running collectors, or null if none failed. */
  @Nullable
  private static String lastExportError(List<Collector> collectors) {
    String last = null;
    long lastMillis = Long.MIN_VALUE;
    for (Collector c : collectors) {
      WeftStats stats = c.stats();
      if (stats.lastExportError().isPresent() && stats.lastExportErrorEpochMillis() >= lastMillis) {
        lastMillis = stats.lastExportErrorEpochMillis();
        last = stats.lastExportError().get();
      }
    }
    return last;
  }

  private static final long ABI_MAGIC = 0x004D485354464557L; // docs/shm-abi.md: header.magic
  private static final int ABI_STATE_OFFSET = 28;

  /**
   * The state word of the segment's header (32 bytes read, nothing mapped), or null if the file
   * is not a Weft segment.
   */
  @Nullable
  private static WeftSegmentSnapshot.State segmentState(Path path) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      while (header.hasRemaining() && channel.read(header) > 0) {
        // read the header's first 32 bytes
      }
    }
    if (header.hasRemaining() || header.getLong(0) != ABI_MAGIC) {
      return null;
    }
    switch (header.getInt(ABI_STATE_OFFSET)) {
      case 0:
        return WeftSegmentSnapshot.State.INITIALIZING;
      case 1:
        return WeftSegmentSnapshot.State.LIVE;
      case 2:
        return WeftSegmentSnapshot.State.CLOSED;
      default:
        return WeftSegmentSnapshot.State.UNKNOWN;
    }
  }

  private static NativeState nativeState(int state) {
    switch (state) {
      case WeftJni.STATE_NOT_STARTED:
        return NativeState.NOT_STARTED;
      case WeftJni.STATE_RUNNING:
        return NativeState.RUNNING;
      case WeftJni.STATE_SHUT_DOWN:
        return NativeState.SHUT_DOWN;
      case WeftJni.STATE_FAILED:
        return NativeState.FAILED;
      case WeftJni.STATE_DISABLED:
        return NativeState.DISABLED;
      default:
        return NativeState.UNKNOWN;
    }
  }
}
