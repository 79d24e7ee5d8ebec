package dev.weft.agent.otel;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.lang.reflect.Field;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * The current span of the OpenTelemetry agent's own context (in the extension loader, {@code
 * Span.current()} is the agent's, not the application's bridged API), as {@code {traceIdHigh,
 * traceIdLow, spanId, traceFlags}}, or null if there is no valid current span. The agent's span
 * is one object per span (the bridge would make a new wrapper per call), so the parsed ids are
 * cached per span context: one parse per span. The arrays are never modified after creation.
 *
 * <p>{@link #install()} hands it to the Weft agent's {@code WeftAgentHook} (loaded by the system
 * class loader; only JDK types cross between the two loaders).
 */
final class AgentContextReader implements Supplier<long[]> {
  private static final String HOOK = "dev.weft.agent.hook.WeftAgentHook";

  @Nullable private volatile Cached last;

  private static final class Cached {
    final SpanContext context;
    final long[] ids;

    Cached(SpanContext context, long[] ids) {
      this.context = context;
      this.ids = ids;
    }
  }

  static void install() {
    try {
      Class<?> hook = Class.forName(HOOK, true, ClassLoader.getSystemClassLoader());
      Field field = hook.getField("contextReader");
      field.set(null, new AgentContextReader());
      Log.debug("native calls read the OpenTelemetry agent's context directly");
    } catch (ClassNotFoundException e) {
      Log.warn("the Weft extension is loaded but the Weft agent is not (" + HOOK + " not found):"
          + " add -javaagent:weft-agent.jar before -javaagent:opentelemetry-javaagent.jar, or"
          + " native calls are not stitched");
    } catch (ReflectiveOperationException | RuntimeException e) {
      Log.error("cannot hand the agent's context to the Weft agent: " + e);
    }
  }

  @Override
  @Nullable
  public long[] get() {
    SpanContext context = Span.current().getSpanContext();
    if (!context.isValid()) {
      return null;
    }
    Cached c = last;
    if (c != null && c.context == context) {
      return c.ids;
    }
    String traceId = context.getTraceId();
    long[] ids = {hex(traceId, 0), hex(traceId, 16), hex(context.getSpanId(), 0),
        context.getTraceFlags().asByte() & 0xff};
    last = new Cached(context, ids);
    return ids;
  }

  private static long hex(String s, int offset) {
    long value = 0;
    for (int i = offset; i < offset + 16; i++) {
      value = (value << 4) | Character.digit(s.charAt(i), 16);
    }
    return value;
  }
}
