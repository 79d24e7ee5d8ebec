package dev.weft.demo;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.weft.Weft;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.IntToLongFunction;

/**
 * {@link FfmCodec} over {@code java.lang.foreign}: downcalls to the {@code weftdemo_*} functions
 * of libweftdemo (already loaded by {@link NativeCodec#load()}, so the same library instance and
 * the same libweft), and the enrich callback as an upcall stub whose target is wrapped with
 * {@link Weft#wrapUpcall(MethodHandle)}.
 */
@SuppressWarnings("restricted") // FFM linker calls; the jar enables native access
public final class FfmCodecImpl implements FfmCodec {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final FunctionDescriptor ENRICH = FunctionDescriptor.of(JAVA_LONG, JAVA_INT);
  private static final MethodHandle ENRICH_TARGET;

  static {
    try {
      ENRICH_TARGET = MethodHandles.lookup().findStatic(FfmCodecImpl.class, "enrich",
          MethodType.methodType(long.class, Upcall.class, int.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final MethodHandle process;
  private final MethodHandle lookup;
  private final MethodHandle encode;

  public FfmCodecImpl() {
    SymbolLookup symbols = SymbolLookup.loaderLookup();
    process = LINKER.downcallHandle(symbols.find("weftdemo_process").orElseThrow(),
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    lookup = LINKER.downcallHandle(symbols.find("weftdemo_lookup").orElseThrow(),
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    encode = LINKER.downcallHandle(symbols.find("weftdemo_encode").orElseThrow(),
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  }

  /** The upcall's state: its callback and what it threw (FFM upcalls must not throw). */
  private static final class Upcall {
    final IntToLongFunction callback;
    RuntimeException thrown;

    Upcall(IntToLongFunction callback) {
      this.callback = callback;
    }
  }

  @SuppressWarnings("unused") // through ENRICH_TARGET
  private static long enrich(Upcall upcall, int requestId) {
    try {
      return upcall.callback.applyAsLong(requestId);
    } catch (RuntimeException e) {
      upcall.thrown = e;
      return Long.MIN_VALUE; // weftdemo: failure
    }
  }

  @Override
  public long process(int requestId, byte[] payload, IntToLongFunction enrich) {
    Upcall upcall = new Upcall(enrich);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocateFrom(JAVA_BYTE, payload);
      MethodHandle target = Weft.wrapUpcall(ENRICH_TARGET.bindTo(upcall));
      MemorySegment stub = LINKER.upcallStub(target, ENRICH, arena);
      long result = (long) process.invokeExact(requestId, data, (long) payload.length, stub);
      if (upcall.thrown != null) {
        throw upcall.thrown;
      }
      return result;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public long lookup(int key) {
    try {
      return (long) lookup.invokeExact(key);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public long encode(int requestId, byte[] payload) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocateFrom(JAVA_BYTE, payload);
      return (long) encode.invokeExact(requestId, data, (long) payload.length);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
