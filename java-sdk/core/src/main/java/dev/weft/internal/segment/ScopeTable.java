package dev.weft.internal.segment;

import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import javax.annotation.Nullable;

/**
 * The segment's instrumentation scopes, read as they are registered. A scope is published
 * (release of {@code scope_count}) before any span that uses it is committed, so a record whose
 * {@code scope_index} is at or past {@code scope_count} is corrupt (docs/shm-abi.md "Records").
 * {@link #get} re-reads {@code scope_count} before it says so: the table may have been refreshed
 * before the producer registered the scope and released the tail we acquired since.
 */
public final class ScopeTable {
  /** The scope of a registered entry whose name is empty. */
  static final InstrumentationScopeInfo UNNAMED = InstrumentationScopeInfo.create("weft.unknown");

  /** Null for a fixed table ({@link #of}). */
  @Nullable private final Segment segment;
  private final InstrumentationScopeInfo[] scopes = new InstrumentationScopeInfo[Abi.MAX_SCOPES];
  private int count;

  ScopeTable(Segment segment) {
    this.segment = segment;
  }

  private ScopeTable(InstrumentationScopeInfo only) {
    this.segment = null;
    scopes[0] = only;
    count = 1;
  }

  /** A table of one scope (index 0) that reads no segment: for records made in this JVM. */
  public static ScopeTable of(InstrumentationScopeInfo only) {
    return new ScopeTable(only);
  }

  /** Reads entries registered since the last call; cheap when nothing changed. */
  void refresh() {
    if (segment != null) {
      refresh(segment);
    }
  }

  private void refresh(Segment segment) {
    int published = segment.scopeCountAcquire();
    int limit = published < 0 || published > Abi.MAX_SCOPES ? Abi.MAX_SCOPES : published;
    for (int i = count; i < limit; i++) {
      String name = segment.scopeName(i);
      String version = segment.scopeVersion(i);
      var builder = InstrumentationScopeInfo.builder(name.isEmpty() ? UNNAMED.getName() : name);
      if (!version.isEmpty()) {
        builder.setVersion(version);
      }
      scopes[i] = builder.build();
    }
    if (limit > count) {
      count = limit;
    }
  }

  /** The scope at {@code index}, or null if no such scope is registered (a corrupt record). */
  @Nullable
  public InstrumentationScopeInfo get(int index) {
    if (index >= count) {
      refresh(); // acquire scope_count again: it was published before the span's tail
      if (index >= count) {
        return null;
      }
    }
    return scopes[index];
  }

  int size() {
    return count;
  }
}
