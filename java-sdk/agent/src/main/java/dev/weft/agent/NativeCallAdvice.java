package dev.weft.agent;

import dev.weft.NativeScope;
import dev.weft.Weft;
import dev.weft.agent.hook.WeftAgentHook;
import java.util.function.Supplier;
import javax.annotation.Nullable;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into the Java wrapper that the agent gives each selected native method (the native
 * method itself is renamed with {@link WeftAgent#NATIVE_METHOD_PREFIX}): the wrapper runs the
 * native call inside {@link Weft#enterNative()}. The names here resolve in the instrumented
 * class's own loader, where the application has weft-java-sdk. Beside the OpenTelemetry Java
 * agent, the Weft extension sets {@link WeftAgentHook#contextReader}, which reads the agent's
 * own context directly (its bridge of {@code Span.current()} makes a new wrapper per call, so
 * {@code Weft}'s id cache would never hit).
 *
 * <p>Both advice methods suppress every {@link Throwable} (handled by {@code
 * WeftAgentHook.failed}), so a failure inside Weft never breaks the native call.
 */
final class NativeCallAdvice {
  private NativeCallAdvice() {}

  // The signatures use Object, not NativeScope: the agent describes this class without loading
  // it, and weft-java-sdk need not be visible from the agent's own loader (a fat jar's nested
  // libraries are not).

  @Advice.OnMethodEnter(suppress = Throwable.class)
  @Nullable
  static Object enter() {
    Supplier<long[]> reader = WeftAgentHook.contextReader;
    if (reader == null) {
      return Weft.enterNative();
    }
    long[] ids = reader.get();
    return ids == null ? null : Weft.enterNative(ids[0], ids[1], ids[2], (int) ids[3]);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter @Nullable Object scope) {
    if (scope != null) {
      ((NativeScope) scope).close();
    }
  }
}
