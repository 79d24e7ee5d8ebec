package dev.weft.agent;

import dev.weft.NativeScope;
import dev.weft.Weft;
import javax.annotation.Nullable;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into the Java wrapper that the agent gives each selected native method (the native
 * method itself is renamed with {@link WeftAgent#NATIVE_METHOD_PREFIX}): the wrapper runs the
 * native call inside {@link Weft#enterNative()}. The names here resolve in the instrumented
 * class's own loader, where the application has weft-java-sdk (and, under the OpenTelemetry
 * agent, the agent's context bridge serves {@code Span.current()}).
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
    return Weft.enterNative();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter @Nullable Object scope) {
    if (scope != null) {
      ((NativeScope) scope).close();
    }
  }
}
