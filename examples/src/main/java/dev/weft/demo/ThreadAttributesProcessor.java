package dev.weft.demo;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * Adds {@code thread.id} and {@code thread.name} to JVM spans when they start, as the Weft
 * collector does for native spans, so the two can be compared in a trace.
 */
final class ThreadAttributesProcessor implements SpanProcessor {
  static final AttributeKey<Long> THREAD_ID = AttributeKey.longKey("thread.id");
  static final AttributeKey<String> THREAD_NAME = AttributeKey.stringKey("thread.name");

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {
    Thread thread = Thread.currentThread();
    span.setAttribute(THREAD_ID, threadId(thread));
    String name = thread.getName();
    span.setAttribute(THREAD_NAME, name.isEmpty() ? "(unnamed)" : name);
  }

  @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() works on 17
  private static long threadId(Thread thread) {
    return thread.getId();
  }

  @Override
  public boolean isStartRequired() {
    return true;
  }

  @Override
  public void onEnd(ReadableSpan span) {}

  @Override
  public boolean isEndRequired() {
    return false;
  }
}
