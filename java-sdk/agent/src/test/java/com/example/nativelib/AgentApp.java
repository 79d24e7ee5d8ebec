package com.example.nativelib;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import javax.annotation.Nullable;

/**
 * The application of the agent tests, run in a child JVM with -javaagent:weft-agent.jar. Its
 * native calls have no Weft code around them. Prints what it saw as key=value lines.
 *
 * <p>Modes (first argument): {@code sdk ENDPOINT}: an app-built OpenTelemetry SDK exporting to
 * ENDPOINT over OTLP/gRPC, the Weft collector sharing its exporter and Resource, the native
 * calls inside a Java span "java.parent" and one ({@code encode(10)}) outside any span; {@code
 * virtual ENDPOINT}: the same on a virtual thread (JDK 21+); {@code bare}: the native calls
 * only, no SDK and no Weft class touched; {@code failing}: the native calls while the context
 * storage throws; {@code otel}: under the OpenTelemetry Java agent, its tracer, no SDK and no
 * Weft code at all.
 */
public final class AgentApp {
  private AgentApp() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    switch (mode) {
      case "bare":
        calls();
        break;
      case "sdk":
        withSdk(args[1], false);
        break;
      case "virtual":
        withSdk(args[1], true);
        break;
      case "otel":
        underOtelAgent();
        break;
      case "failing":
        failing();
        break;
      default:
        throw new IllegalArgumentException("unknown mode " + mode);
    }
    System.out.println("done=true");
  }

  @SuppressWarnings("try") // the scope is only closed
  private static void withSdk(String endpoint, boolean virtual) throws Exception {
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), "weft-agent-test-app")));
    OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build();
    SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    AutoCloseable collector = WeftSetup.collector(exporter, resource);
    Tracer tracer = provider.get("weft-agent-test");
    Runnable work = () -> {
      Span parent = tracer.spanBuilder("java.parent").startSpan();
      try (Scope scope = parent.makeCurrent()) {
        calls();
      } finally {
        parent.end();
      }
      System.out.println("trace=" + parent.getSpanContext().getTraceId());
      System.out.println("parent=" + parent.getSpanContext().getSpanId());
      System.out.println("result.unparented=" + SymbolCodec.encode(10));
    };
    if (virtual) {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      Thread thread = (Thread) Class.forName("java.lang.Thread$Builder")
          .getMethod("start", Runnable.class).invoke(builder, work);
      thread.join();
      System.out.println("virtual=true");
    } else {
      work.run();
    }
    collector.close();
    provider.close();
  }

  /** Under the OpenTelemetry Java agent: its tracer (through the bridged API), no Weft code. */
  @SuppressWarnings("try") // the scope is only closed
  private static void underOtelAgent() {
    Tracer tracer = GlobalOpenTelemetry.getTracer("weft-agent-test");
    Span parent = tracer.spanBuilder("java.parent").startSpan();
    try (Scope scope = parent.makeCurrent()) {
      calls();
    } finally {
      parent.end();
    }
    System.out.println("trace=" + parent.getSpanContext().getTraceId());
    System.out.println("parent=" + parent.getSpanContext().getSpanId());
    System.out.println("result.unparented=" + SymbolCodec.encode(10));
  }

  private static volatile boolean failContext;

  /**
   * Makes the OpenTelemetry context storage throw while the native calls run, so that Weft's
   * attach fails inside the agent's wrapper: the calls must still work.
   */
  private static void failing() {
    ContextStorage.addWrapper(storage -> new ContextStorage() {
      @Override
      public Scope attach(Context toAttach) {
        return storage.attach(toAttach);
      }

      @Override
      @Nullable
      public Context current() {
        if (failContext) {
          throw new IllegalStateException("injected context failure");
        }
        return storage.current();
      }
    });
    failContext = true;
    try {
      calls();
    } finally {
      failContext = false;
    }
  }

  private static void calls() {
    System.out.println("result.encode=" + SymbolCodec.encode(1));
    System.out.println("result.scale=" + new SymbolCodec().scale(3));
    System.out.println("result.reg=" + RegisteredCodec.encode(2));
    try {
      SymbolCodec.fail("boom");
      System.out.println("result.fail=none");
    } catch (IllegalStateException e) {
      System.out.println("result.fail=" + e.getMessage());
    }
    System.out.println("result.after=" + SymbolCodec.encode(4));
  }
}
