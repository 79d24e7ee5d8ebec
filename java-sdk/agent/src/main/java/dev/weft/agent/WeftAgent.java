package dev.weft.agent;

import static net.bytebuddy.matcher.ElementMatchers.isDeclaredBy;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;

import dev.weft.agent.hook.WeftAgentHook;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import javax.annotation.Nullable;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.loading.ClassInjector;
import net.bytebuddy.implementation.SuperMethodCall;
import net.bytebuddy.implementation.bytecode.member.MethodInvocation;
import net.bytebuddy.matcher.ElementMatchers;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.JavaModule;

/**
 * The Weft Java agent: {@code -javaagent:weft-agent.jar}. Every native method declared by a
 * selected class ({@link NativeSelection}) loaded after the agent starts is renamed with {@link
 * #NATIVE_METHOD_PREFIX} (the JVM's native method prefix: JNI symbol lookup and {@code
 * RegisterNatives} retry with the prefix stripped, so the library binds unchanged), and a Java
 * method of the original name calls it inside {@code Weft.enterNative()} ({@link
 * NativeCallAdvice}).
 *
 * <p>Only at JVM start: HotSpot cannot add methods to a class that is already loaded, so classes
 * loaded before the premain are left alone (one warning names them) and attaching the agent to
 * a running JVM does nothing but say so.
 *
 * <p>Every message goes to standard error, prefixed {@code [weft-agent]}; {@code -Dweft.debug}
 * or {@code WEFT_DEBUG=1} also lists each class instrumented.
 */
public final class WeftAgent {
  /** The prefix of the renamed native methods. */
  public static final String NATIVE_METHOD_PREFIX = "weft$native$";

  private static final String WEFT_CLASS_RESOURCE = "dev/weft/Weft.class";
  private static final String OTEL_PREMAIN_CLASS = "io.opentelemetry.javaagent.OpenTelemetryAgent";
  private static final String OTEL_EXTENSIONS_PROPERTY = "otel.javaagent.extensions";
  private static final String OTEL_EXTENSIONS_ENV = "OTEL_JAVAAGENT_EXTENSIONS";
  private static final String OTEL_EXTENSION_RESOURCE = "META-INF/weft/weft-otel-extension.jar";
  private static final String OTEL_EXTENSION_SWITCH = "weft.otel.extension";
  private static final AtomicBoolean started = new AtomicBoolean();
  private static final AtomicBoolean warnedInvisible = new AtomicBoolean();

  private WeftAgent() {}

  /** Entry point of {@code -javaagent:weft-agent.jar}. Never throws: a failure is reported. */
  public static void premain(@Nullable String args, Instrumentation inst) {
    try {
      start(inst);
    } catch (Throwable t) {
      error("the agent did not start, native calls are not stitched: " + t);
    }
  }

  /** Attaching at run time cannot work (classes are loaded already): says so, does nothing. */
  public static void agentmain(@Nullable String args, Instrumentation inst) {
    error("the Weft agent cannot be attached to a running JVM: HotSpot cannot add the wrapper"
        + " methods to classes that are already loaded. Nothing was instrumented. Start the JVM"
        + " with -javaagent:weft-agent.jar instead.");
  }

  private static void start(Instrumentation inst) {
    if (!started.compareAndSet(false, true)) {
      warn("the Weft agent was given twice (-javaagent); the second one does nothing");
      return;
    }
    NativeSelection selection;
    try {
      selection = NativeSelection.fromEnvironment();
    } catch (IllegalArgumentException e) {
      error(e.getMessage() + ". Nothing is instrumented.");
      return;
    }
    if (!inst.isNativeMethodPrefixSupported()) {
      error("this JVM does not support native method prefixes (Can-Set-Native-Method-Prefix):"
          + " native calls are not stitched. Use Weft.enterNative() around them instead.");
      return;
    }
    enableByteBuddySafeMode();
    addOtelAgentExtension();
    warnLoadedBefore(inst, selection);
    boolean debug = debug();
    if (debug) {
      log("stitching the native methods of " + selection);
    }

    ClassFileLocator locator = ClassFileLocator.ForClassLoader.of(WeftAgent.class
        .getClassLoader());
    TypeDescription adviceType = TypePool.Default.of(locator)
        .describe(NativeCallAdvice.class.getName()).resolve();
    MethodDescription failed;
    try {
      failed = new MethodDescription.ForLoadedMethod(
          WeftAgentHook.class.getMethod("failed", Throwable.class));
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
    Advice advice = Advice.to(adviceType, locator)
        .withExceptionHandler(new Advice.ExceptionHandler.Simple(MethodInvocation.invoke(failed)));

    new AgentBuilder.Default()
        .enableNativeMethodPrefix(NATIVE_METHOD_PREFIX)
        .with(AgentBuilder.RedefinitionStrategy.DISABLED)
        .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
        .with(AgentBuilder.TypeStrategy.Default.REBASE)
        .with(new Listener(debug))
        .ignore(ElementMatchers.<TypeDescription>isSynthetic()
            .or(nameStartsWith("dev.weft.agent.")))
        .type(new NativeTypeMatcher(selection))
        .transform(new AgentBuilder.Transformer() {
          @Override
          public DynamicType.Builder<?> transform(DynamicType.Builder<?> builder,
              TypeDescription type, @Nullable ClassLoader loader, @Nullable JavaModule module,
              @Nullable ProtectionDomain domain) {
            return builder.method(isNative().and(isDeclaredBy(type)))
                .intercept(advice.wrap(SuperMethodCall.INSTANCE));
          }
        })
        .installOn(inst);
  }

  /**
   * Beside the OpenTelemetry Java agent given after this one: extracts the Weft extension
   * (nested in this jar) and appends it to {@code otel.javaagent.extensions}, which the
   * OpenTelemetry agent reads in its premain, which runs next. One flag for the user. Off with
   * {@code -Dweft.otel.extension=false}.
   */
  private static void addOtelAgentExtension() {
    if ("false".equalsIgnoreCase(System.getProperty(OTEL_EXTENSION_SWITCH))) {
      return;
    }
    int order = otelAgentOrder();
    if (order < 0) {
      warn("the OpenTelemetry Java agent is given before the Weft agent, so it started without"
          + " the Weft extension: native spans do not share its exporter and Resource. Give"
          + " -javaagent:weft-agent.jar before -javaagent:opentelemetry-javaagent.jar.");
      return;
    }
    if (order == 0) {
      return;
    }
    try (InputStream in = WeftAgent.class.getClassLoader()
        .getResourceAsStream(OTEL_EXTENSION_RESOURCE)) {
      if (in == null) {
        error(OTEL_EXTENSION_RESOURCE + " is missing from the Weft agent jar: native spans do"
            + " not share the OpenTelemetry agent's exporter and Resource");
        return;
      }
      Path jar = Files.createTempFile("weft-otel-extension", ".jar");
      jar.toFile().deleteOnExit();
      Files.copy(in, jar, StandardCopyOption.REPLACE_EXISTING);
      String existing = System.getProperty(OTEL_EXTENSIONS_PROPERTY);
      if (existing == null || existing.isBlank()) {
        // the property hides the variable: keep the user's extensions from either
        existing = System.getenv(OTEL_EXTENSIONS_ENV);
      }
      System.setProperty(OTEL_EXTENSIONS_PROPERTY,
          existing == null || existing.isBlank() ? jar.toString() : existing + "," + jar);
      if (debug()) {
        log("the OpenTelemetry Java agent follows: added the Weft extension " + jar
            + " to " + OTEL_EXTENSIONS_PROPERTY);
      }
    } catch (IOException e) {
      error("cannot extract the Weft extension for the OpenTelemetry agent: " + e);
    }
  }

  /**
   * Whether the OpenTelemetry Java agent is among the {@code -javaagent} options (command line or
   * {@code JAVA_TOOL_OPTIONS}): 1 after this agent, -1 before it, 0 not there.
   */
  private static int otelAgentOrder() {
    boolean seenSelf = false;
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-javaagent:")) {
        continue;
      }
      String path = arg.substring("-javaagent:".length());
      int eq = path.indexOf('=');
      if (eq >= 0) {
        path = path.substring(0, eq);
      }
      String premain = premainClass(path);
      if (WeftAgent.class.getName().equals(premain)) {
        seenSelf = true;
      } else if (OTEL_PREMAIN_CLASS.equals(premain)) {
        return seenSelf ? 1 : -1;
      }
    }
    return 0;
  }

  @Nullable
  private static String premainClass(String jarPath) {
    try (JarFile jar = new JarFile(jarPath)) {
      Manifest manifest = jar.getManifest();
      return manifest == null ? null : manifest.getMainAttributes().getValue("Premain-Class");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * ByteBuddy without {@code sun.misc.Unsafe} (no warning on JDK 24+). The constant is the
   * property name as the shaded ByteBuddy reads it (relocated with it), so an application's
   * own ByteBuddy is not affected.
   */
  private static void enableByteBuddySafeMode() {
    String property = ClassInjector.UsingUnsafe.SAFE_PROPERTY;
    if (System.getProperty(property) == null) {
      System.setProperty(property, "true");
    }
  }

  private static void warnLoadedBefore(Instrumentation inst, NativeSelection selection) {
    List<String> early = new ArrayList<>();
    for (Class<?> c : inst.getAllLoadedClasses()) {
      String name = c.getName();
      if (c.isArray() || c.isPrimitive() || name.indexOf('/') >= 0 || !selection.matches(name)) {
        continue;
      }
      try {
        for (Method m : c.getDeclaredMethods()) {
          if (Modifier.isNative(m.getModifiers())) {
            early.add(name);
            break;
          }
        }
      } catch (Throwable ignored) {
        // a class whose methods cannot be listed is not one we could have instrumented
      }
    }
    if (!early.isEmpty()) {
      warn(early.size() + " class(es) with native methods selected by " + selection
          + " were loaded before the Weft agent started, and their native calls are NOT"
          + " stitched (HotSpot cannot add methods to a loaded class): " + early + ". Give"
          + " -javaagent:weft-agent.jar first among the -javaagent options, and keep other"
          + " agents from loading these classes in their premain.");
    }
  }

  static boolean debug() {
    String p = System.getProperty("weft.debug");
    if (p != null) {
      return !p.equalsIgnoreCase("false");
    }
    String e = System.getenv("WEFT_DEBUG");
    return e != null && !e.isEmpty() && !e.equals("0") && !e.equalsIgnoreCase("false");
  }

  static void log(String message) {
    System.err.println("[weft-agent] " + message);
  }

  static void warn(String message) {
    System.err.println("[weft-agent] WARNING: " + message);
  }

  static void error(String message) {
    System.err.println("[weft-agent] ERROR: " + message);
  }

  /**
   * Selected by name, declares a native method itself, and its loader sees dev.weft.Weft and this
   * agent's {@link WeftAgentHook} (else the wrapper could not attach anything: one warning says
   * what to do).
   */
  private static final class NativeTypeMatcher implements AgentBuilder.RawMatcher {
    private final NativeSelection selection;
    private final Map<ClassLoader, Boolean> seesWeft = new WeakHashMap<>();

    NativeTypeMatcher(NativeSelection selection) {
      this.selection = selection;
    }

    @Override
    public boolean matches(TypeDescription type, @Nullable ClassLoader loader,
        @Nullable JavaModule module, @Nullable Class<?> classBeingRedefined,
        @Nullable ProtectionDomain domain) {
      if (!selection.matches(type.getName())
          || type.getDeclaredMethods().filter(isNative()).isEmpty()) {
        return false;
      }
      if (seesWeft(loader)) {
        return true;
      }
      if (warnedInvisible.compareAndSet(false, true)) {
        warn(type.getName() + " declares native methods but dev.weft.Weft is not visible from"
            + " its class loader (" + loader + "), so its native calls (and those of any other"
            + " class in that situation) are NOT stitched. Add dev.weft:weft-java-sdk to the"
            + " application's class path (a class loader that does not delegate to the system"
            + " class loader, where the agent is, cannot be instrumented either).");
      }
      return false;
    }

    private boolean seesWeft(@Nullable ClassLoader loader) {
      if (loader == null) {
        return false;
      }
      synchronized (seesWeft) {
        Boolean known = seesWeft.get(loader);
        if (known == null) {
          known = loader.getResource(WEFT_CLASS_RESOURCE) != null && seesHook(loader);
          seesWeft.put(loader, known);
        }
        return known;
      }
    }

    private static boolean seesHook(ClassLoader loader) {
      try {
        return Class.forName(WeftAgentHook.class.getName(), false, loader) == WeftAgentHook.class;
      } catch (ClassNotFoundException | LinkageError e) {
        return false;
      }
    }
  }

  private static final class Listener extends AgentBuilder.Listener.Adapter {
    private final boolean debug;

    Listener(boolean debug) {
      this.debug = debug;
    }

    @Override
    public void onTransformation(TypeDescription type, @Nullable ClassLoader loader,
        @Nullable JavaModule module, boolean loaded, DynamicType dynamicType) {
      if (debug) {
        log("stitching " + type.getName() + ": "
            + type.getDeclaredMethods().filter(isNative()).size() + " native method(s)");
      }
    }

    @Override
    public void onError(String typeName, @Nullable ClassLoader loader,
        @Nullable JavaModule module, boolean loaded, Throwable throwable) {
      warn("could not instrument " + typeName + ", its native calls are not stitched: "
          + throwable);
    }
  }
}
